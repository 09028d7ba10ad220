//! The seam between the conformance harness and a schema engine.

use std::path::{Path, PathBuf};

/// A schema engine under test. The harness never assumes more than this.
///
/// An engine must not panic on any input; the runner catches panics per case and reports them
/// as failures marked `panic` so that they stay visible.
pub trait Engine {
    type Compiled;

    /// Compiles a schema from its documents (the first one is the main document; the rest are
    /// also part of the schema, whether or not the first includes or imports them). An empty list
    /// means: no schema given, take it from the instance's xsi:schemaLocation hints.
    /// `Err` means the schema is not a conforming schema (or cannot be read).
    fn compile(&self, schema_files: &[PathBuf]) -> Result<Self::Compiled, String>;

    /// As [`Engine::compile`], resolving schema locations through an OASIS XML catalog first.
    fn compile_with_catalog(
        &self,
        schema_files: &[PathBuf],
        catalog: &Path,
    ) -> Result<Self::Compiled, String>;

    /// `Ok(true)` valid, `Ok(false)` invalid (including not well-formed); `Err` when no verdict
    /// could be reached (instance unreadable, engine failure).
    fn validate(&self, schema: &Self::Compiled, instance: &Path) -> Result<bool, String>;
}
