//! OASIS XML Catalogs 1.1, the subset schema loading needs: `uri`, `system`, `rewriteURI`,
//! `rewriteSystem`, `uriSuffix`, `systemSuffix`, `nextCatalog` and `group`, with `xml:base`.
//!
//! A catalog only ever maps to local files: a mapping whose target is not a file (e.g. another
//! `http:` URL) resolves to nothing, because schema loading never touches the network.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::location;
use super::{SchemaError, UnqualifiedAttribute};

const CATALOG_NS: &str = "urn:oasis:names:tc:entity:xmlns:xml:catalog";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// One mapping of a catalog entry file. Targets are already absolutized against `xml:base`.
#[derive(Debug, Clone)]
enum Entry {
    Uri { name: String, target: String },
    System { id: String, target: String },
    RewriteUri { prefix: String, rewrite: String },
    RewriteSystem { prefix: String, rewrite: String },
    UriSuffix { suffix: String, target: String },
    SystemSuffix { suffix: String, target: String },
}

/// A loaded catalog: the entries of the entry file followed, in order, by the files named by
/// `nextCatalog` (loaded eagerly, each once).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Entry files in lookup order; each is searched completely before the next (the spec's
    /// nextCatalog semantics for catalogs without `delegate*`).
    files: Vec<Vec<Entry>>,
    /// Every catalog file read (canonical path) with the xxh3 hash of its bytes: what the
    /// compiled-schema cache must check for changes.
    sources: Vec<(PathBuf, u64)>,
}

/// Which identifier space a lookup is for.
#[derive(Clone, Copy)]
enum Space {
    Uri,
    System,
}

impl Catalog {
    /// Loads a catalog file and every catalog it names through `nextCatalog`.
    pub fn load(path: &Path) -> Result<Catalog, SchemaError> {
        let mut catalog = Catalog::default();
        let mut seen = HashSet::new();
        catalog.load_file(path, None, &mut seen)?;
        Ok(catalog)
    }

    /// Parses a catalog from text; relative targets resolve against `base` (the catalog's
    /// own path). `nextCatalog` entries are read from the file system.
    pub fn from_text(text: &str, base: &Path) -> Result<Catalog, SchemaError> {
        let mut catalog = Catalog::default();
        let mut seen = HashSet::new();
        catalog.parse(text, base, &mut seen)?;
        Ok(catalog)
    }

    fn load_file(
        &mut self,
        path: &Path,
        referrer: Option<(&Path, u32, u32)>,
        seen: &mut HashSet<PathBuf>,
    ) -> Result<(), SchemaError> {
        let fail = |message: String| match referrer {
            Some((doc, line, column)) => SchemaError::new("catalog", message, doc, line, column),
            None => SchemaError::new("catalog", message, path, 0, 0),
        };
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| fail(format!("cannot open catalog '{}': {e}", path.display())))?;
        if !seen.insert(canonical.clone()) {
            return Ok(());
        }
        let bytes = std::fs::read(&canonical)
            .map_err(|e| fail(format!("cannot read catalog '{}': {e}", path.display())))?;
        self.sources
            .push((canonical.clone(), xxhash_rust::xxh3::xxh3_64(&bytes)));
        let text = location::decode(bytes)
            .map_err(|e| fail(format!("catalog '{}': {e}", path.display())))?;
        self.parse(&text, &canonical, seen)
    }

    fn parse(
        &mut self,
        text: &str,
        path: &Path,
        seen: &mut HashSet<PathBuf>,
    ) -> Result<(), SchemaError> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
            let pos = e.pos();
            SchemaError::new(
                "catalog",
                format!("catalog is not well-formed XML: {e}"),
                path,
                pos.row,
                pos.col,
            )
        })?;
        let root = doc.root_element();
        if root.tag_name().name() != "catalog" {
            return Err(SchemaError::new(
                "catalog",
                format!(
                    "root element is '{}', expected the OASIS 'catalog' element",
                    root.tag_name().name()
                ),
                path,
                1,
                1,
            ));
        }
        let base = location::file_uri_dir(path);
        let mut entries = Vec::new();
        let mut next = Vec::new();
        collect(root, &base, &mut entries, &mut next);
        self.files.push(entries);
        for (target, offset) in next {
            let pos = doc.text_pos_at(offset);
            match location::uri_to_path(&target) {
                Some(p) => self.load_file(&p, Some((path, pos.row, pos.col)), seen)?,
                None => {
                    return Err(SchemaError::new(
                        "catalog",
                        format!("nextCatalog '{target}' is not a local file"),
                        path,
                        pos.row,
                        pos.col,
                    ))
                }
            }
        }
        Ok(())
    }

    /// The catalog files read, each with the xxh3 hash of its bytes.
    pub(crate) fn sources(&self) -> &[(PathBuf, u64)] {
        &self.sources
    }

    /// Resolves a URI reference (a `schemaLocation`) to a local file: first as a URI
    /// (`uri`, `rewriteURI`, `uriSuffix`), then as a system identifier.
    pub fn resolve(&self, uri: &str) -> Option<PathBuf> {
        let uri = uri.trim();
        self.lookup(uri, Space::Uri)
            .or_else(|| self.lookup(uri, Space::System))
            .and_then(|target| location::uri_to_path(&target))
    }

    fn lookup(&self, key: &str, space: Space) -> Option<String> {
        self.files
            .iter()
            .find_map(|entries| lookup_in(entries, key, space))
    }

    /// Number of mappings (all kinds, all files); for diagnostics.
    pub fn len(&self) -> usize {
        self.files.iter().map(Vec::len).sum()
    }

    /// True when the catalog holds no mapping at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Spec order within one entry file: exact match, then the longest rewrite prefix, then the
/// longest suffix.
fn lookup_in(entries: &[Entry], key: &str, space: Space) -> Option<String> {
    let mut best_rewrite: Option<(&str, &str)> = None;
    let mut best_suffix: Option<(&str, &str)> = None;
    for entry in entries {
        match (space, entry) {
            (Space::Uri, Entry::Uri { name, target }) if name == key => {
                return Some(target.clone())
            }
            (Space::System, Entry::System { id, target }) if id == key => {
                return Some(target.clone())
            }
            (Space::Uri, Entry::RewriteUri { prefix, rewrite })
            | (Space::System, Entry::RewriteSystem { prefix, rewrite })
                if key.starts_with(prefix.as_str())
                    && best_rewrite.is_none_or(|(p, _)| p.len() < prefix.len()) =>
            {
                best_rewrite = Some((prefix, rewrite));
            }
            (Space::Uri, Entry::UriSuffix { suffix, target })
            | (Space::System, Entry::SystemSuffix { suffix, target })
                if key.ends_with(suffix.as_str())
                    && best_suffix.is_none_or(|(s, _)| s.len() < suffix.len()) =>
            {
                best_suffix = Some((suffix, target));
            }
            _ => {}
        }
    }
    if let Some((prefix, rewrite)) = best_rewrite {
        let rest = key.get(prefix.len()..).unwrap_or("");
        return Some(format!("{rewrite}{rest}"));
    }
    best_suffix.map(|(_, target)| target.to_owned())
}

fn collect(
    node: roxmltree::Node<'_, '_>,
    inherited_base: &str,
    entries: &mut Vec<Entry>,
    next: &mut Vec<(String, usize)>,
) {
    for child in node.children().filter(roxmltree::Node::is_element) {
        let tag = child.tag_name();
        if tag.namespace().is_some_and(|ns| ns != CATALOG_NS) {
            // Elements from other namespaces are ignored (catalog spec section 6.1).
            continue;
        }
        let base = match child.attribute((XML_NS, "base")) {
            Some(b) => location::join_uri(inherited_base, b.trim()),
            None => inherited_base.to_owned(),
        };
        let attr = |name: &str| child.unqualified(name).map(str::trim);
        let target = |name: &str| attr(name).map(|v| location::join_uri(&base, v));
        let entry = match tag.name() {
            "uri" => attr("name").zip(target("uri")).map(|(n, t)| Entry::Uri {
                name: n.to_owned(),
                target: t,
            }),
            "system" => attr("systemId")
                .zip(target("uri"))
                .map(|(n, t)| Entry::System {
                    id: n.to_owned(),
                    target: t,
                }),
            "rewriteURI" => attr("uriStartString")
                .zip(target("rewritePrefix"))
                .map(|(p, r)| Entry::RewriteUri {
                    prefix: p.to_owned(),
                    rewrite: r,
                }),
            "rewriteSystem" => attr("systemIdStartString")
                .zip(target("rewritePrefix"))
                .map(|(p, r)| Entry::RewriteSystem {
                    prefix: p.to_owned(),
                    rewrite: r,
                }),
            "uriSuffix" => attr("uriSuffix")
                .zip(target("uri"))
                .map(|(s, t)| Entry::UriSuffix {
                    suffix: s.to_owned(),
                    target: t,
                }),
            "systemSuffix" => {
                attr("systemIdSuffix")
                    .zip(target("uri"))
                    .map(|(s, t)| Entry::SystemSuffix {
                        suffix: s.to_owned(),
                        target: t,
                    })
            }
            "nextCatalog" => {
                if let Some(t) = target("catalog") {
                    next.push((t, child.range().start));
                }
                None
            }
            "group" => {
                collect(child, &base, entries, next);
                None
            }
            // public, delegate*: not needed for schema locations.
            _ => None,
        };
        if let Some(e) = entry {
            entries.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        match Catalog::from_text(text, Path::new("/cat/dir/catalog.xml")) {
            Ok(c) => c,
            Err(e) => panic!("catalog failed: {e}"),
        }
    }

    #[test]
    fn uri_and_system_entries_resolve_relative_to_catalog() {
        let c = catalog(
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <uri name="http://a.example/a.xsd" uri="local/a.xsd"/>
                 <system systemId="http://b.example/b.xsd" uri="/abs/b.xsd"/>
               </catalog>"#,
        );
        assert_eq!(
            c.resolve("http://a.example/a.xsd"),
            Some(PathBuf::from("/cat/dir/local/a.xsd"))
        );
        assert_eq!(
            c.resolve(" http://b.example/b.xsd "),
            Some(PathBuf::from("/abs/b.xsd"))
        );
        assert_eq!(c.resolve("http://c.example/c.xsd"), None);
    }

    #[test]
    fn rewrite_takes_longest_prefix_and_suffix_is_last_resort() {
        let c = catalog(
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <rewriteURI uriStartString="http://x.example/" rewritePrefix="short/"/>
                 <rewriteURI uriStartString="http://x.example/deep/" rewritePrefix="file:///long/"/>
                 <uriSuffix uriSuffix="/s.xsd" uri="suffix.xsd"/>
                 <rewriteSystem systemIdStartString="urn:sys:" rewritePrefix="sys/"/>
               </catalog>"#,
        );
        assert_eq!(
            c.resolve("http://x.example/deep/a.xsd"),
            Some(PathBuf::from("/long/a.xsd"))
        );
        assert_eq!(
            c.resolve("http://x.example/b.xsd"),
            Some(PathBuf::from("/cat/dir/short/b.xsd"))
        );
        assert_eq!(
            c.resolve("http://y.example/s.xsd"),
            Some(PathBuf::from("/cat/dir/suffix.xsd"))
        );
        assert_eq!(
            c.resolve("urn:sys:q.xsd"),
            Some(PathBuf::from("/cat/dir/sys/q.xsd"))
        );
    }

    #[test]
    fn group_xml_base_changes_the_base() {
        let c = catalog(
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <group xml:base="file:///other/base/">
                   <uri name="urn:a" uri="a.xsd"/>
                   <group xml:base="sub/"><uri name="urn:b" uri="b.xsd"/></group>
                 </group>
                 <uri name="urn:c" uri="c.xsd"/>
               </catalog>"#,
        );
        assert_eq!(c.resolve("urn:a"), Some(PathBuf::from("/other/base/a.xsd")));
        assert_eq!(
            c.resolve("urn:b"),
            Some(PathBuf::from("/other/base/sub/b.xsd"))
        );
        assert_eq!(c.resolve("urn:c"), Some(PathBuf::from("/cat/dir/c.xsd")));
    }

    #[test]
    fn http_targets_never_resolve() {
        let c = catalog(
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <uri name="urn:a" uri="http://mirror.example/a.xsd"/>
               </catalog>"#,
        );
        assert_eq!(c.resolve("urn:a"), None);
    }

    #[test]
    fn next_catalog_is_consulted_after_the_first() {
        let dir = std::env::temp_dir().join(format!("xsdv-catalog-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let first = dir.join("first.xml");
        let second = dir.join("second.xml");
        let write = |p: &Path, t: &str| std::fs::write(p, t).map_err(|e| e.to_string());
        let setup = write(
            &first,
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <uri name="urn:a" uri="a.xsd"/><nextCatalog catalog="second.xml"/>
                 <nextCatalog catalog="first.xml"/></catalog>"#,
        )
        .and_then(|()| {
            write(
                &second,
                r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                     <uri name="urn:a" uri="shadowed.xsd"/><uri name="urn:b" uri="b.xsd"/></catalog>"#,
            )
        });
        assert_eq!(setup, Ok(()));
        let c = match Catalog::load(&first) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let canon = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
        assert_eq!(c.resolve("urn:a"), Some(canon.join("a.xsd")));
        assert_eq!(c.resolve("urn:b"), Some(canon.join("b.xsd")));
        assert_eq!(c.len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_catalog_and_bad_root_are_errors() {
        let err = Catalog::load(Path::new("/nonexistent/catalog.xml")).err();
        assert!(err.is_some_and(|e| e.message.contains("/nonexistent/catalog.xml")));
        let err = Catalog::from_text("<foo/>", Path::new("/c.xml")).err();
        assert!(err.is_some_and(|e| e.rule == "catalog"));
    }
}
