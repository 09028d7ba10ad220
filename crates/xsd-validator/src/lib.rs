//! xsd-validator
pub mod content_model;
pub mod datatypes;
pub mod identity;
pub mod reader;
pub mod schema;
