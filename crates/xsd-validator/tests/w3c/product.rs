//! The product engine ([`xsd_validator::SchemaSet`]) behind the harness's [`Engine`] seam.

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
                let mut extra: Vec<PathBuf> = schema_hints(&bytes, instance)
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
                let files: Vec<PathBuf> = schema_hints(&bytes, instance)
                    .into_iter()
                    .map(|h| h.location)
                    .collect();
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

/// The hints of every element, in document order without repeats, locations relative to the
/// instance (test support: the library itself ignores hints).
fn schema_hints(bytes: &[u8], instance: &Path) -> Vec<Hint> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return Vec::new();
    };
    const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    let base = instance.parent().unwrap_or(Path::new("."));
    let mut hints: Vec<Hint> = Vec::new();
    let mut add = |namespace: Option<&str>, location: &str| {
        let location = base.join(location);
        if !hints.iter().any(|h| h.location == location) {
            hints.push(Hint {
                namespace: namespace.map(str::to_owned),
                location,
            });
        }
    };
    for node in doc.descendants().filter(roxmltree::Node::is_element) {
        if let Some(v) = node.attribute((XSI, "schemaLocation")) {
            let tokens: Vec<&str> = v.split_whitespace().collect();
            for pair in tokens.chunks(2) {
                if let [namespace, location] = pair {
                    add(Some(namespace), location);
                }
            }
        }
        if let Some(v) = node.attribute((XSI, "noNamespaceSchemaLocation")) {
            add(None, v.trim());
        }
    }
    hints
}
