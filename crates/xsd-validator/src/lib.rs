//! xsd-validator
pub mod schema;
