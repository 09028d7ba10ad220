//! Loading XSD 1.0 schema documents into a resolved component model.
//!
//! Code map:
//! - [`catalog`]: OASIS XML catalogs (maps `http:` schema locations to local files).
//! - `header`: the root and directives of a document, read without building a tree.
//! - `loader`: finds every document reachable through include/import/redefine, each once.
//! - `conditional`: drops elements that version-control attributes (`vc:minVersion`, ...)
//!   exclude for an XSD 1.0 processor, before a document is read.
//! - `document`: builds components from each document and checks the schema for schemas.
//! - `resolve`: finishing passes (cycles, substitution group types, attribute groups).
//! - `xml_namespace`: the built-in schema for `xml:lang`, `xml:space`, `xml:base`, `xml:id`,
//!   used when an import of the XML namespace cannot be resolved locally.
//! - [`components`]: the model.
//!
//! **API boundary:** [`load`] (files) and [`load_from_memory`] return either a complete
//! [`SchemaModel`] whose ids are all valid, or every problem found, each a [`SchemaError`]
//! with its spec rule, document, line and column. No schema input makes this panic, and
//! nothing here touches the network (an import of the XML namespace that no catalog entry or
//! local file satisfies gets the built-in declarations of `xml_namespace`).

pub mod catalog;
pub mod components;
mod conditional;
mod document;
mod header;
pub(crate) mod loader;
mod location;
mod resolve;
mod xml_namespace;

use std::path::{Path, PathBuf};

pub use catalog::Catalog;
pub use components::*;

/// The XML Schema namespace.
pub const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// A problem with the schema set: the spec rule it breaks (e.g. `src-resolve`,
/// `s4s-att-not-allowed`, `schema_reference.4` for unloadable documents), where, and what.
/// Line and column are 1-based; 0 when there is no position (an entry file that is missing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {rule}: {message}", document.display())]
#[non_exhaustive]
pub struct SchemaError {
    pub rule: &'static str,
    pub message: String,
    pub document: PathBuf,
    pub line: u32,
    pub column: u32,
}

impl SchemaError {
    pub(crate) fn new(
        rule: &'static str,
        message: String,
        document: &Path,
        line: u32,
        column: u32,
    ) -> SchemaError {
        SchemaError {
            rule,
            message,
            document: document.to_path_buf(),
            line,
            column,
        }
    }
}

/// An attribute of a schema element by its local name, in no namespace. roxmltree's own
/// `attribute("x")` also matches a foreign `f:x`, which schema elements may carry beside the
/// schema's own `x` (XSD 1.0 3.15.2: attributes from other namespaces are allowed everywhere).
pub(crate) trait UnqualifiedAttribute<'a> {
    fn unqualified(&self, local: &str) -> Option<&'a str>;
}

impl<'a> UnqualifiedAttribute<'a> for roxmltree::Node<'a, '_> {
    fn unqualified(&self, local: &str) -> Option<&'a str> {
        self.attributes()
            .find(|a| a.namespace().is_none() && a.name() == local)
            .map(|a| a.value())
    }
}

/// Loads the schema set made of `entries` and everything they include, import and redefine.
/// `catalog` is an OASIS XML catalog file used for schema locations.
pub fn load(entries: &[PathBuf], catalog: Option<&Path>) -> Result<SchemaModel, Vec<SchemaError>> {
    let catalog = catalog
        .map(Catalog::load)
        .transpose()
        .map_err(|e| vec![e])?;
    load_with_catalog(entries, catalog.as_ref())
}

/// Like [`load`], with an already loaded catalog (share one across many schema sets).
pub fn load_with_catalog(
    entries: &[PathBuf],
    catalog: Option<&Catalog>,
) -> Result<SchemaModel, Vec<SchemaError>> {
    run(&loader::FileStore, entries, catalog)
}

/// Loads from in-memory documents `(name, text)`. Names act as paths below `/`: `a.xsd` is
/// `/a.xsd`, and `schemaLocation="../b.xsd"` in `x/a.xsd` names `b.xsd`.
pub fn load_from_memory(
    entries: &[&str],
    documents: &[(&str, &str)],
    catalog: Option<&Catalog>,
) -> Result<SchemaModel, Vec<SchemaError>> {
    let store = loader::MemoryStore::new(documents.iter().copied());
    let entries: Vec<PathBuf> = entries.iter().map(|e| loader::memory_path(e)).collect();
    run(&store, &entries, catalog)
}

/// Loads through `store` (the compiled-schema cache records what is read).
pub(crate) fn run(
    store: &dyn loader::DocumentStore,
    entries: &[PathBuf],
    catalog: Option<&Catalog>,
) -> Result<SchemaModel, Vec<SchemaError>> {
    let loader::Loaded {
        documents,
        mut errors,
        unresolved,
    } = loader::load_documents(store, entries, catalog);
    let mut builder = document::build(&documents);
    resolve::finish(&mut builder);
    errors.append(&mut builder.errors);
    // Not errors by themselves (see `loader`), but the likely cause of any others.
    if !errors.is_empty() {
        errors.extend(unresolved);
    }
    // Report in document order, whichever pass found a problem.
    errors.sort_by(|a, b| (&a.document, a.line, a.column).cmp(&(&b.document, b.line, b.column)));
    if errors.is_empty() {
        Ok(builder.model)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
