//! xsd-validator
pub mod datatypes;
