//! Locating the shared material (W3C suite, XÖV corpus) that is never copied into the repo.

use std::path::{Path, PathBuf};

/// The shared directory, as seen from this crate.
pub const SHARED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

/// `<shared>/<sub>` canonicalised, or `None` after printing why the calling test skips.
///
/// # Panics
/// When `CI=true` and the directory is missing: CI must not go green by skipping.
pub fn require(sub: &str, test: &str) -> Option<PathBuf> {
    locate(
        Path::new(SHARED_DIR),
        sub,
        test,
        std::env::var("CI").is_ok_and(|v| v == "true"),
    )
}

fn locate(shared: &Path, sub: &str, test: &str, ci: bool) -> Option<PathBuf> {
    let wanted = shared.join(sub);
    match std::fs::canonicalize(&wanted) {
        Ok(path) if path.is_dir() => Some(path),
        _ if ci => panic!("{test}: {} is missing and CI=true", wanted.display()),
        _ => {
            eprintln!("{test}: skipped, {} is missing", wanted.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_dir_skips_outside_ci_and_fails_in_ci() {
        let nowhere = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-shared-dir");
        assert_eq!(locate(&nowhere, "xsdtests", "t", false), None);
        let in_ci = std::panic::catch_unwind(|| locate(&nowhere, "xsdtests", "t", true));
        assert!(in_ci.is_err());
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            locate(here, "tests", "t", true),
            Some(here.join("tests").canonicalize().unwrap())
        );
    }
}
