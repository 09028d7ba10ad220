//! xsd-validator
pub mod compile;
pub mod content_model;
pub mod datatypes;
pub mod reader;
pub mod schema;
