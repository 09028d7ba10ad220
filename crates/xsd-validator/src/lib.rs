//! xsd-validator: a pure-Rust, streaming XML Schema 1.0 validator.
//!
//! Compile a schema set once ([`SchemaSet::compile`]), then validate any number of documents
//! concurrently ([`SchemaSet::validate`], or [`SchemaSet::validate_with_sink`] to see the
//! validated events in the same pass).
//!
//! Code map: [`reader`] (well-formed XML events) -> [`schema`] (loading schema documents into a
//! component model) -> [`compile`] (runtime form: [`datatypes`] for simple types,
//! [`content_model`] for automata, [`identity`] for unique/key/keyref) -> [`validate`]
//! (streaming validation, which drives the identity tracker). [`cache`] stores compiled sets
//! on disk for short-lived processes ([`SchemaSet::compile_cached`]).
pub mod cache;
pub mod compile;
pub mod content_model;
pub mod datatypes;
pub mod identity;
pub mod reader;
pub mod sample;
pub mod schema;
pub mod validate;

#[cfg(test)]
mod test_rng;

pub use compile::{AttributeDeclaration, ElementDeclaration, SchemaSet, TypeDefinition};
pub use schema::SchemaError;
pub use validate::{ElementEvent, EndEvent, Outcome, Sink, ValidationOptions, Violation};
