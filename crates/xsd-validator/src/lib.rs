//! xsd-validator
pub mod content_model;
pub mod datatypes;
pub mod reader;
pub mod sample;
pub mod schema;
