//! xsd-validator
pub mod reader;
