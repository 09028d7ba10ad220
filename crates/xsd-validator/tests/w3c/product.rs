//! The product engine ([`xsd_validator::SchemaSet`]) behind the harness's [`Engine`] seam.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use xsd_validator::schema::{self, Catalog};
use xsd_validator::{SchemaError, SchemaSet, ValidationOptions};

use super::engine::Engine;

/// `full_id_checks`: the W3C suite expects cvc-id.1 (spec); the XÖV corpus expects xmllint's
/// verdicts, which never check IDREFs (the library default).
pub struct Product {
    pub options: ValidationOptions,
    /// The catalog every compile without an explicit one uses (the W3C runner's, which maps
    /// the suite's one network import, xlink.xsd, to a local copy).
    pub catalog: Option<Catalog>,
    /// Follow xsi:schemaLocation hints of instances to local documents for namespaces the
    /// given schema lacks (the W3C suite relies on it; xmllint with --schema never does).
    pub follow_hints: bool,
}

/// tests/w3c/catalog.xml: maps http://www.w3.org/XML/2008/06/xlink.xsd (imported by the
/// suite's metadata schema common/xsts.xsd) to tests/w3c/xlink.xsd. The XML namespace schema
/// (http://www.w3.org/2001/xml.xsd) needs no entry: the validator has it built in.
pub fn w3c_catalog_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/w3c/catalog.xml")
}

impl Product {
    /// Spec conformance, as the W3C suite expects.
    pub fn w3c() -> Product {
        let catalog = Catalog::load(&w3c_catalog_path())
            .unwrap_or_else(|e| panic!("the runner's own catalog does not load: {e}"));
        Product {
            catalog: Some(catalog),
            follow_hints: true,
            options: ValidationOptions {
                full_id_checks: true,
                // Some suite documents carry hundreds of attributes (attgD003).
                limits: xsd_validator::reader::Limits {
                    max_attributes: 100_000,
                    ..xsd_validator::reader::Limits::default()
                },
                ..ValidationOptions::default()
            },
        }
    }

    /// The library defaults (xmllint-compatible verdicts).
    #[allow(dead_code)] // used by tests/xoev_corpus.rs, not by tests/w3c_suite.rs
    pub fn defaults() -> Product {
        Product {
            options: ValidationOptions::default(),
            catalog: None,
            follow_hints: false,
        }
    }
}

/// A compiled set (with the documents it was compiled from, for hints that add to it), or
/// "take the schema from the instance's xsi hints" (groups without a schema test).
pub enum ProductSchema {
    Set {
        set: Box<SchemaSet>,
        files: Vec<PathBuf>,
    },
    FromHints,
}

fn errors(errors: Vec<SchemaError>) -> String {
    errors
        .iter()
        .take(3)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Product {
    fn compile_set(&self, files: &[PathBuf]) -> Result<SchemaSet, Vec<SchemaError>> {
        SchemaSet::from_model(schema::load_with_catalog(files, self.catalog.as_ref())?)
    }

    fn verdict(&self, set: &SchemaSet, bytes: &[u8]) -> bool {
        set.validate(bytes, &self.options).is_valid()
    }
}

impl Engine for Product {
    type Compiled = ProductSchema;

    fn compile(&self, schema_files: &[PathBuf]) -> Result<ProductSchema, String> {
        if schema_files.is_empty() {
            return Ok(ProductSchema::FromHints);
        }
        self.compile_set(schema_files)
            .map(|set| ProductSchema::Set {
                set: Box::new(set),
                files: schema_files.to_vec(),
            })
            .map_err(errors)
    }

    fn compile_with_catalog(
        &self,
        schema_files: &[PathBuf],
        catalog: &Path,
    ) -> Result<ProductSchema, String> {
        SchemaSet::compile(schema_files, Some(catalog))
            .map(|set| ProductSchema::Set {
                set: Box::new(set),
                files: schema_files.to_vec(),
            })
            .map_err(errors)
    }

    fn validate(&self, schema: &ProductSchema, instance: &Path) -> Result<bool, String> {
        let bytes = std::fs::read(instance).map_err(|e| format!("{}: {e}", instance.display()))?;
        match schema {
            ProductSchema::Set { set, .. } if !self.follow_hints => Ok(self.verdict(set, &bytes)),
            ProductSchema::Set { set, files } => {
                // XSD 1.0 4.3.2: a processor may follow schemaLocation hints to components it
                // lacks. Like Xerces, the runner follows a hint only for a namespace the
                // group's schema has no document for (never to replace given components),
                // and only to local files.
                let hints = schema_hints(&bytes, instance);
                if hints.late {
                    return Ok(false);
                }
                let mut extra: Vec<PathBuf> = hints
                    .hints
                    .into_iter()
                    .filter(|h| !covers(set, h.namespace.as_deref()) && h.location.is_file())
                    .map(|h| h.location)
                    .collect();
                extra.retain(|f| !files.contains(f));
                if extra.is_empty() {
                    return Ok(self.verdict(set, &bytes));
                }
                let all: Vec<PathBuf> = files.iter().cloned().chain(extra).collect();
                match self.compile_set(&all) {
                    Ok(with_hints) => Ok(self.verdict(&with_hints, &bytes)),
                    // As for groups without a schema test: a hinted document that does not
                    // compile with the schema makes the instance invalid (no case does so now).
                    Err(_) => Ok(false),
                }
            }
            ProductSchema::FromHints => {
                let hints = schema_hints(&bytes, instance);
                if hints.late {
                    return Ok(false);
                }
                let files: Vec<PathBuf> = hints.hints.into_iter().map(|h| h.location).collect();
                if files.is_empty() {
                    // No schema at all: the root has no declaration (cvc-elt.1).
                    return Ok(false);
                }
                match self.compile_set(&files) {
                    Ok(set) => Ok(self.verdict(&set, &bytes)),
                    // A schema named by hints that is not valid makes the instance invalid.
                    Err(_) => Ok(false),
                }
            }
        }
    }
}

/// Whether a document of `set` has the target namespace `namespace`.
fn covers(set: &SchemaSet, namespace: Option<&str>) -> bool {
    let model = set.model();
    model
        .namespaces
        .get(namespace)
        .is_some_and(|id| model.documents.iter().any(|d| d.target_namespace == id))
}

/// One xsi:schemaLocation pair or xsi:noNamespaceSchemaLocation value.
struct Hint {
    namespace: Option<String>,
    location: PathBuf,
}

/// The hints of a document.
#[derive(Default)]
struct Hints {
    /// In document order without repeats, locations relative to the instance.
    hints: Vec<Hint>,
    /// A hint to a new document for a namespace came after an element or attribute of that
    /// namespace (XSD 1.0 4.3.2: "it is an error if such an attribute occurs after the first
    /// appearance of an element or attribute information item ... whose [namespace name] it
    /// addresses"; the schema is "otherwise stable throughout assessment").
    late: bool,
}

/// The hints of every element (test support: the library itself ignores hints).
fn schema_hints(bytes: &[u8], instance: &Path) -> Hints {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Hints::default();
    };
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return Hints::default();
    };
    const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    let base = instance.parent().unwrap_or(Path::new("."));
    let mut out = Hints::default();
    // Namespaces of the elements and attributes before the current element.
    let mut seen: HashSet<Option<&str>> = HashSet::new();
    for node in doc.descendants().filter(roxmltree::Node::is_element) {
        let mut here: Vec<(Option<&str>, &str)> = Vec::new();
        if let Some(v) = node.attribute((XSI, "schemaLocation")) {
            let tokens: Vec<&str> = v.split_whitespace().collect();
            for pair in tokens.chunks(2) {
                if let [namespace, location] = pair {
                    here.push((Some(namespace), location));
                }
            }
        }
        if let Some(v) = node.attribute((XSI, "noNamespaceSchemaLocation")) {
            here.push((None, v.trim()));
        }
        for (namespace, location) in here {
            let location = base.join(location);
            // Repeating a hint already followed adds no components, so it is no error (addB163).
            if !out.hints.iter().any(|h| h.location == location) {
                out.late |= seen.contains(&namespace);
                out.hints.push(Hint {
                    namespace: namespace.map(str::to_owned),
                    location,
                });
            }
        }
        seen.insert(node.tag_name().namespace());
        for attribute in node.attributes() {
            if attribute.namespace() != Some(XSI) {
                seen.insert(attribute.namespace());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(xml: &str) -> Hints {
        schema_hints(xml.as_bytes(), Path::new("/d/i.xml"))
    }

    const XSI: &str = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;

    #[test]
    fn hints_in_document_order_relative_to_the_instance() {
        let h = hints(&format!(
            r#"<r {XSI} xsi:noNamespaceSchemaLocation=" a.xsd ">
                 <f:x xmlns:f="urn:f" xsi:schemaLocation="urn:f ../f.xsd urn:g g.xsd"/>
               </r>"#
        ));
        let found: Vec<_> = h
            .hints
            .iter()
            .map(|h| (h.namespace.as_deref(), h.location.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (None, PathBuf::from("/d/a.xsd")),
                (Some("urn:f"), PathBuf::from("/d/../f.xsd")),
                (Some("urn:g"), PathBuf::from("/d/g.xsd")),
            ]
        );
        assert!(!h.late);
    }

    #[test]
    fn a_new_hint_after_its_namespace_was_used_is_late() {
        // The element that carries the hint may be in the namespace it addresses.
        let first = hints(&format!(
            r#"<f:r xmlns:f="urn:f" {XSI} xsi:schemaLocation="urn:f a.xsd"/>"#
        ));
        assert!(!first.late);
        // A sibling of an element in urn:f brings a second document for urn:f.
        let late = hints(&format!(
            r#"<r {XSI} xmlns:f="urn:f"><f:a/><b xsi:schemaLocation="urn:f b.xsd"/></r>"#
        ));
        assert!(late.late);
        // Attributes count as appearances too.
        let by_attribute = hints(&format!(
            r#"<r {XSI} xmlns:f="urn:f" f:x="1"><b xsi:schemaLocation="urn:f b.xsd"/></r>"#
        ));
        assert!(by_attribute.late);
        // Repeating a hint already followed is not.
        let repeated = hints(&format!(
            r#"<r {XSI} xmlns:f="urn:f" xsi:schemaLocation="urn:f a.xsd">
                 <f:a/><b xsi:schemaLocation="urn:f a.xsd"/></r>"#
        ));
        assert!(!repeated.late);
        // No-namespace hints after no-namespace elements.
        let no_namespace = hints(&format!(
            r#"<r {XSI}><c xsi:noNamespaceSchemaLocation="c.xsd"/></r>"#
        ));
        assert!(no_namespace.late);
    }
}
