//! Compile-step tests on small in-memory schemas.
