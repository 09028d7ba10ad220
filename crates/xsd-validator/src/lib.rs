//! xsd-validator
pub mod content_model;
