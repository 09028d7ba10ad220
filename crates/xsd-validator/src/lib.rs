//! xsd-validator
