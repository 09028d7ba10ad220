//! Support for the conformance tests: the W3C suite index, the runner with its pluggable
//! [`engine::Engine`], the known-failures ratchet, the XÖV manifest, and the xmllint reference
//! oracle (test support only, never product code).

pub mod engine;
pub mod manifest;
pub mod oracle;
pub mod product;
pub mod ratchet;
pub mod runner;
pub mod shared;
pub mod suite;
