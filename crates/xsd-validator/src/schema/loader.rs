//! Finds every schema document reachable from the entry documents through `xs:include`,
//! `xs:import` and `xs:redefine`, reading each (canonical path, effective target namespace)
//! once. Never touches the network: a location that is neither a local file nor mapped to
//! one by the catalog is an error naming it and the referencing document and line; except
//! for an import of the XML namespace, which falls back to the built-in document of
//! [`super::xml_namespace`] when nothing local provides that namespace.
//!
//! An import or include whose location cannot be resolved is not an error by itself (XSD 1.0
//! 4.2.1: "It is not an error for the actual value of the schemaLocation to fail to resolve it
//! at all, in which case no corresponding inclusion is performed"; 4.2.3 likewise for
//! imports; a redefine must resolve only when it redefines something, src-redefine.1):
//! references into what is missing fail on their own (`src-resolve`). So an unresolved
//! include, empty redefine, or import of a namespace no other document provides, is reported
//! only alongside other errors of the schema, whose likely cause it is.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use super::catalog::Catalog;
use super::conditional;
use super::header::{self, DirectiveKind, Header};
use super::location::{self, file_uri, join_uri, uri_to_path};
use super::xml_namespace::{self, XML_NS};
use super::{SchemaError, XSD_NS};

/// Where document bytes come from: the file system, or a map (tests, embedded schemas).
pub(crate) trait DocumentStore {
    /// Reads the document at `path`, returning its identity path and text.
    fn fetch(&self, path: &Path) -> Result<(PathBuf, String), String>;
}

/// Reads from the file system; the identity path is the canonical path.
pub(crate) struct FileStore;

impl DocumentStore for FileStore {
    fn fetch(&self, path: &Path) -> Result<(PathBuf, String), String> {
        let canonical = std::fs::canonicalize(path).map_err(|e| format!("cannot open: {e}"))?;
        let bytes = std::fs::read(&canonical).map_err(|e| format!("cannot read: {e}"))?;
        FileStore::decode(canonical, bytes)
    }
}

impl FileStore {
    /// The text of a document read from `canonical`.
    pub(crate) fn decode(canonical: PathBuf, bytes: Vec<u8>) -> Result<(PathBuf, String), String> {
        let text = location::decode(bytes)?;
        Ok((canonical, text))
    }
}

/// Documents held in memory, keyed by absolute normalized path (`a.xsd` is `/a.xsd`).
pub(crate) struct MemoryStore {
    docs: HashMap<PathBuf, String>,
}

impl MemoryStore {
    pub(crate) fn new<'a>(docs: impl IntoIterator<Item = (&'a str, &'a str)>) -> MemoryStore {
        let docs = docs
            .into_iter()
            .map(|(name, text)| (memory_path(name), text.to_owned()))
            .collect();
        MemoryStore { docs }
    }
}

/// The absolute path under which a memory document named `name` is known.
pub(crate) fn memory_path(name: &str) -> PathBuf {
    location::normalize_path(&Path::new("/").join(name))
}

impl DocumentStore for MemoryStore {
    fn fetch(&self, path: &Path) -> Result<(PathBuf, String), String> {
        let key = location::normalize_path(path);
        match self.docs.get(&key) {
            Some(text) => Ok((key, text.clone())),
            None => Err("no such document".to_owned()),
        }
    }
}

/// How a document was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    Entry,
    Include,
    Import,
    Redefine,
}

/// A document to build components from.
#[derive(Debug)]
pub(crate) struct LoadedDocument {
    pub path: PathBuf,
    pub text: String,
    /// Effective target namespace (the includer's for a chameleon include).
    pub target_namespace: Option<String>,
    pub chameleon: bool,
    /// Documents this one redefines (for ordering redefinitions).
    pub redefines: Vec<usize>,
}

struct Pending {
    path: PathBuf,
    /// The URI the document was asked for by (an `http:` URL when mapped by the catalog).
    base_uri: String,
    reach: Reach,
    /// The namespace the document must have (import) or takes if it has none (include).
    namespace: Option<String>,
    referrer: Option<Referrer>,
    /// Index of the redefining document, for `Reach::Redefine`.
    redefined_by: Option<usize>,
    /// A failure to resolve is an error by itself: entries, and redefines that redefine
    /// something (src-redefine.1); not includes, imports or redefines with only annotations.
    must_resolve: bool,
}

#[derive(Clone)]
struct Referrer {
    document: PathBuf,
    line: u32,
    column: u32,
}

impl Referrer {
    fn error(&self, rule: &'static str, message: String) -> SchemaError {
        SchemaError::new(rule, message, &self.document, self.line, self.column)
    }
}

/// What [`load_documents`] found.
pub(crate) struct Loaded {
    pub documents: Vec<LoadedDocument>,
    pub errors: Vec<SchemaError>,
    /// Includes, and imports of namespaces no loaded document provides, whose location did
    /// not resolve: errors only if the schema has others.
    pub unresolved: Vec<SchemaError>,
}

/// Loads the closure of `entries`. Errors are collected; documents that failed are left out.
pub(crate) fn load_documents(
    store: &dyn DocumentStore,
    entries: &[PathBuf],
    catalog: Option<&Catalog>,
) -> Loaded {
    let mut loader = Loader {
        store,
        catalog,
        docs: Vec::new(),
        errors: Vec::new(),
        seen: HashMap::new(),
        by_content: HashMap::new(),
        unresolved_imports: Vec::new(),
        unresolved_inclusions: Vec::new(),
        xml_namespace_wanted: false,
        queue: VecDeque::new(),
    };
    for entry in entries {
        loader.queue.push_back(Pending {
            path: entry.clone(),
            base_uri: file_uri(entry),
            reach: Reach::Entry,
            namespace: None,
            referrer: None,
            redefined_by: None,
            must_resolve: true,
        });
    }
    while let Some(p) = loader.queue.pop_front() {
        loader.load(p);
    }
    let xml_namespace_wanted = loader.xml_namespace_wanted
        || loader
            .unresolved_imports
            .iter()
            .any(|(ns, _)| ns.as_deref() == Some(XML_NS));
    let xml_namespace_loaded = loader
        .docs
        .iter()
        .any(|d| d.target_namespace.as_deref() == Some(XML_NS));
    if xml_namespace_wanted && !xml_namespace_loaded {
        loader.docs.push(xml_namespace::document());
    }
    let provided: HashSet<Option<&str>> = loader
        .docs
        .iter()
        .map(|d| d.target_namespace.as_deref())
        .collect();
    let mut unresolved = loader.unresolved_inclusions;
    for (namespace, error) in loader.unresolved_imports {
        if !provided.contains(&namespace.as_deref()) {
            unresolved.push(error);
        }
    }
    Loaded {
        documents: loader.docs,
        errors: loader.errors,
        unresolved,
    }
}

struct Loader<'a> {
    store: &'a dyn DocumentStore,
    catalog: Option<&'a Catalog>,
    docs: Vec<LoadedDocument>,
    errors: Vec<SchemaError>,
    /// (identity path, effective namespace) -> document index.
    seen: HashMap<(PathBuf, Option<String>), usize>,
    /// (hash of the text, effective namespace) -> document index.
    by_content: HashMap<(u64, Option<String>), usize>,
    /// Imports whose location could not be resolved: dropped when something else provides
    /// the namespace (like libxml2, which skips imports of known namespaces).
    unresolved_imports: Vec<(Option<String>, SchemaError)>,
    /// Includes and empty redefines whose location could not be resolved (not an error by
    /// itself).
    unresolved_inclusions: Vec<SchemaError>,
    /// An import of the XML namespace without a schemaLocation was seen.
    xml_namespace_wanted: bool,
    queue: VecDeque<Pending>,
}

impl Loader<'_> {
    fn load(&mut self, p: Pending) {
        let fail = |rule: &'static str, message: String| match &p.referrer {
            Some(r) => r.error(rule, message),
            None => SchemaError::new(rule, message, &p.path, 0, 0),
        };
        let (path, text) = match self.store.fetch(&p.path) {
            Ok(v) => v,
            Err(e) => {
                let what = if p.base_uri.starts_with("file:") {
                    p.path.display().to_string()
                } else {
                    format!("{} (mapped to {})", p.base_uri, p.path.display())
                };
                let error = fail(
                    "schema_reference.4",
                    format!("schema document '{what}': {e}"),
                );
                match p.reach {
                    Reach::Import => self.unresolved_imports.push((p.namespace.clone(), error)),
                    _ if !p.must_resolve => self.unresolved_inclusions.push(error),
                    _ => self.errors.push(error),
                }
                return;
            }
        };
        // Version-control attributes act before anything else reads the document.
        let text = conditional::filter(&text).unwrap_or(text);
        let position = |offset: usize| text_position(&text, offset);
        let header = match header::read(&text) {
            Ok(h) => h,
            Err((message, offset)) => {
                let (line, column) = position(offset);
                self.errors.push(SchemaError::new(
                    "schema_reference.4",
                    message,
                    &path,
                    line,
                    column,
                ));
                return;
            }
        };
        if !header.is_schema() {
            let (line, column) = position(header.root_offset);
            self.errors.push(SchemaError::new(
                "s4s-elt-schema-ns",
                format!(
                    "root element is '{}', expected 'schema' in the namespace {XSD_NS}",
                    header.root_name
                ),
                &path,
                line,
                column,
            ));
            return;
        }
        let own_ns = header.target_namespace.clone();
        if own_ns.as_deref() == Some("") {
            let (line, column) = position(header.root_offset);
            self.errors.push(SchemaError::new(
                "s4s-att-invalid-value",
                "targetNamespace must not be empty (omit it for no namespace)".to_owned(),
                &path,
                line,
                column,
            ));
        }
        let own_ns = own_ns.filter(|n| !n.is_empty());
        let (effective, chameleon) = match p.reach {
            Reach::Entry => (own_ns.clone(), false),
            Reach::Include | Reach::Redefine => {
                if own_ns.is_some() && own_ns != p.namespace {
                    let rule = if p.reach == Reach::Include {
                        "src-include.2.1"
                    } else {
                        "src-redefine.3.1"
                    };
                    self.errors.push(fail(
                        rule,
                        format!(
                            "'{}' has targetNamespace '{}', but the including schema's is '{}'",
                            path.display(),
                            own_ns.as_deref().unwrap_or(""),
                            p.namespace.as_deref().unwrap_or("")
                        ),
                    ));
                    return;
                }
                (
                    p.namespace.clone(),
                    own_ns.is_none() && p.namespace.is_some(),
                )
            }
            Reach::Import => {
                if own_ns != p.namespace {
                    let rule = if p.namespace.is_some() {
                        "src-import.3.1"
                    } else {
                        "src-import.3.2"
                    };
                    self.errors.push(fail(
                        rule,
                        format!(
                            "imported '{}' has targetNamespace '{}', but the import names '{}'",
                            path.display(),
                            own_ns.as_deref().unwrap_or(""),
                            p.namespace.as_deref().unwrap_or("")
                        ),
                    ));
                    return;
                }
                (own_ns.clone(), false)
            }
        };
        let key = (path.clone(), effective.clone());
        if let Some(&existing) = self.seen.get(&key) {
            if let (Reach::Redefine, Some(by)) = (p.reach, p.redefined_by) {
                if let Some(d) = self.docs.get_mut(by) {
                    d.redefines.push(existing);
                }
            }
            return;
        }
        // A byte-identical copy of a loaded document (XÖV sets ship the same file in several
        // folders) is that document: loading it again would only duplicate its components.
        let content_key = (hash_text(&text), effective.clone());
        if let Some(&existing) = self.by_content.get(&content_key) {
            if self.docs.get(existing).is_some_and(|d| d.text == text) {
                self.seen.insert(key, existing);
                return;
            }
        }
        let index = self.docs.len();
        self.seen.insert(key, index);
        self.by_content.insert(content_key, index);
        if let (Reach::Redefine, Some(by)) = (p.reach, p.redefined_by) {
            if let Some(d) = self.docs.get_mut(by) {
                d.redefines.push(index);
            }
        }
        self.directives(
            &header,
            &text,
            &path,
            &p.base_uri,
            effective.as_deref(),
            index,
        );
        self.docs.push(LoadedDocument {
            path,
            text,
            target_namespace: effective,
            chameleon,
            redefines: Vec::new(),
        });
    }

    /// Queues the documents named by the `include`/`import`/`redefine` directives.
    fn directives(
        &mut self,
        header: &Header,
        text: &str,
        path: &Path,
        base_uri: &str,
        namespace: Option<&str>,
        index: usize,
    ) {
        for d in &header.directives {
            let referrer = || {
                let (line, column) = text_position(text, d.offset);
                Referrer {
                    document: path.to_path_buf(),
                    line,
                    column,
                }
            };
            let (reach, name) = match d.kind {
                DirectiveKind::Include => (Reach::Include, "include"),
                DirectiveKind::Import => (Reach::Import, "import"),
                DirectiveKind::Redefine => (Reach::Redefine, "redefine"),
            };
            let target_ns = if reach == Reach::Import {
                let ns = d.namespace.clone();
                if ns.as_deref() == namespace {
                    let rule = if ns.is_some() {
                        "src-import.1.1"
                    } else {
                        "src-import.1.2"
                    };
                    self.errors.push(referrer().error(
                        rule,
                        format!(
                            "import of namespace '{}' is the importing schema's own target namespace",
                            ns.as_deref().unwrap_or("")
                        ),
                    ));
                    continue;
                }
                ns
            } else {
                namespace.map(str::to_owned)
            };
            let Some(loc) = d.location.as_deref() else {
                if reach == Reach::Import && target_ns.as_deref() == Some(XML_NS) {
                    self.xml_namespace_wanted = true;
                }
                if reach != Reach::Import {
                    self.errors.push(referrer().error(
                        "s4s-att-must-appear",
                        format!("xs:{name} requires the attribute 'schemaLocation'"),
                    ));
                }
                continue;
            };
            let must_resolve = reach == Reach::Redefine && redefine_has_components(text, d.offset);
            match self.locate(base_uri, path, loc) {
                Ok((p, uri)) => self.queue.push_back(Pending {
                    path: p,
                    base_uri: uri,
                    reach,
                    namespace: target_ns,
                    referrer: Some(referrer()),
                    redefined_by: (reach == Reach::Redefine).then_some(index),
                    must_resolve,
                }),
                Err(message) if reach == Reach::Import => {
                    self.unresolved_imports
                        .push((target_ns, referrer().error("schema_reference.4", message)));
                }
                Err(message) if !must_resolve => {
                    self.unresolved_inclusions
                        .push(referrer().error("schema_reference.4", message));
                }
                Err(message) => self
                    .errors
                    .push(referrer().error("schema_reference.4", message)),
            }
        }
    }

    /// Resolves a schemaLocation: the catalog for the literal location, then (for documents
    /// that came from a URL) for the location resolved against that URL, then the file system
    /// relative to the referencing document.
    fn locate(&self, base_uri: &str, path: &Path, loc: &str) -> Result<(PathBuf, String), String> {
        let loc = loc.trim();
        if let Some(catalog) = self.catalog {
            if let Some(p) = catalog.resolve(loc) {
                return Ok((p, loc.to_owned()));
            }
            if !base_uri.starts_with("file:") {
                let abs = join_uri(base_uri, loc);
                if let Some(p) = catalog.resolve(&abs) {
                    return Ok((p, abs));
                }
            }
        }
        let abs = join_uri(&file_uri(path), loc);
        match uri_to_path(&abs) {
            Some(p) => Ok((p, abs)),
            None => Err(format!(
                "schema location '{loc}' is not a local file and not mapped by {} (network access is disabled)",
                if self.catalog.is_some() { "the catalog" } else { "a catalog (none given)" }
            )),
        }
    }
}

/// Whether the `xs:redefine` starting at byte `offset` has children other than annotations,
/// which make resolving its location a requirement (src-redefine.1). Redefines are rare; the
/// parse happens only for documents that have one.
fn redefine_has_components(text: &str, offset: usize) -> bool {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let Ok(doc) = roxmltree::Document::parse_with_options(text, options) else {
        return true;
    };
    let is_annotation = |n: &roxmltree::Node| {
        n.tag_name().namespace() == Some(XSD_NS) && n.tag_name().name() == "annotation"
    };
    doc.root_element()
        .children()
        .find(|c| c.is_element() && c.range().start == offset)
        .is_none_or(|r| r.children().any(|c| c.is_element() && !is_annotation(&c)))
}

/// Only a bucket key: a hit is confirmed by comparing the texts, so a fast hash will do (SipHash
/// over a megabyte of XBau schema text was a visible part of loading it).
fn hash_text(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::compile::names::FxHasher::default();
    text.hash(&mut h);
    h.finish()
}

/// 1-based line and column (in characters) of a byte offset; for the few positions the
/// loader reports.
fn text_position(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}
