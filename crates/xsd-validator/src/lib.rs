//! xsd-validator
pub mod datatypes;
pub mod reader;
pub mod schema;
