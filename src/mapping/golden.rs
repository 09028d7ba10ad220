//! Golden cases: `DIR/<case>/` holds the input, the expected output and which mapping to use.
//! Operators test their own mappings with it (`xoev-gateway test-mappings DIR`); our test
//! suite runs `tests/mapping_golden` with it.
//!
//! A case directory has `expected.json` or `expected.xml` and either
//! - `mapping.toml` and `input.xml`, or
//! - `case.toml` naming them: `mapping = "..."`, `input = "..."` (relative to the case
//!   directory), so a case can use a mapping under `mappings/` and an input from a corpus
//!   that is not copied into the repository.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::plan::Plan;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    mapping: Option<PathBuf>,
    input: Option<PathBuf>,
    #[allow(dead_code)] // Documentation for whoever reads the case.
    description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaseOutcome {
    Passed,
    /// The output differs from the expectation: the first differing line.
    Differs {
        line: usize,
        expected: String,
        actual: String,
    },
    /// The mapping did not compile or failed on the input.
    Error(String),
    /// A file of the case could not be read.
    Unreadable {
        path: PathBuf,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub outcome: CaseOutcome,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub cases: Vec<CaseResult>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome == CaseOutcome::Passed)
            .count()
    }

    pub fn all_passed(&self) -> bool {
        !self.cases.is_empty() && self.passed() == self.cases.len()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for case in &self.cases {
            match &case.outcome {
                CaseOutcome::Passed => writeln!(f, "ok      {}", case.name)?,
                CaseOutcome::Differs {
                    line,
                    expected,
                    actual,
                } => writeln!(
                    f,
                    "FAILED  {}: line {line} differs\n  expected: {expected}\n  actual:   {actual}",
                    case.name
                )?,
                CaseOutcome::Error(message) => writeln!(
                    f,
                    "FAILED  {}: {}",
                    case.name,
                    message.replace('\n', "\n  ")
                )?,
                CaseOutcome::Unreadable { path, reason } => writeln!(
                    f,
                    "FAILED  {}: cannot read {}: {reason}",
                    case.name,
                    path.display()
                )?,
            }
        }
        write!(f, "{} of {} cases passed", self.passed(), self.cases.len())
    }
}

/// Runs every case directory under `dir`, in name order.
pub fn run_golden_cases(dir: &Path) -> Report {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => {
            return Report {
                cases: vec![CaseResult {
                    name: dir.display().to_string(),
                    outcome: CaseOutcome::Unreadable {
                        path: dir.to_owned(),
                        reason: e.to_string(),
                    },
                }],
            }
        }
    };
    names.sort();
    Report {
        cases: names
            .iter()
            .map(|case| CaseResult {
                name: case
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                outcome: run_case(case),
            })
            .collect(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CaseOutcome> {
    std::fs::read(path).map_err(|e| CaseOutcome::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn run_case(case: &Path) -> CaseOutcome {
    match try_case(case) {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

fn try_case(case: &Path) -> Result<CaseOutcome, CaseOutcome> {
    let case_file = case.join("case.toml");
    let spec: CaseFile = if case_file.exists() {
        let text = String::from_utf8_lossy(&read(&case_file)?).into_owned();
        toml::from_str(&text).map_err(|e| CaseOutcome::Error(format!("case.toml: {e}")))?
    } else {
        CaseFile {
            mapping: None,
            input: None,
            description: None,
        }
    };
    let mapping = case.join(spec.mapping.unwrap_or_else(|| "mapping.toml".into()));
    let input = case.join(spec.input.unwrap_or_else(|| "input.xml".into()));
    let plan = Plan::load(&mapping).map_err(|e| CaseOutcome::Error(e.to_string()))?;
    let expected_name = match plan.content_type() {
        "application/json" => "expected.json",
        _ => "expected.xml",
    };
    let expected = read(&case.join(expected_name))?;
    let xml = read(&input)?;
    let actual = plan
        .map_document(&xml)
        .map_err(|e| CaseOutcome::Error(detailed(&e)))?;
    Ok(compare(&expected, &actual))
}

/// The error with the output schema's complete violations: golden cases are the operator's
/// own test data, so the validator's messages (which may quote values) belong here.
fn detailed(error: &super::MappingError) -> String {
    let mut text = error.to_string();
    for violation in error.output_violations() {
        text.push_str(&format!("\n  output {violation}"));
    }
    text
}

/// Compares line by line, ignoring trailing whitespace and line-end style.
fn compare(expected: &[u8], actual: &[u8]) -> CaseOutcome {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let mut e = expected.trim_end().lines().map(str::trim_end);
    let mut a = actual.trim_end().lines().map(str::trim_end);
    let mut line = 0;
    loop {
        line += 1;
        match (e.next(), a.next()) {
            (None, None) => return CaseOutcome::Passed,
            (x, y) if x == y => continue,
            (x, y) => {
                return CaseOutcome::Differs {
                    line,
                    expected: x.unwrap_or("<end of file>").to_owned(),
                    actual: y.unwrap_or("<end of file>").to_owned(),
                }
            }
        }
    }
}

/// The shared XÖV corpus next to the repository (`../shared`), if present. Tests that need
/// it fail when `CI=true` and it is missing, and skip with a reason otherwise.
#[cfg(test)]
pub(crate) fn shared_corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"));
    if dir.join("xoev").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the shared corpus is missing at {}",
        dir.display()
    );
    eprintln!("skipping: shared corpus not found at {}", dir.display());
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_reports_the_first_differing_line() {
        assert_eq!(compare(b"a\nb\n", b"a\r\nb"), CaseOutcome::Passed);
        assert_eq!(
            compare(b"a\nb\n", b"a\nc\n"),
            CaseOutcome::Differs {
                line: 2,
                expected: "b".into(),
                actual: "c".into()
            }
        );
        assert!(matches!(
            compare(b"a\n", b"a\nb"),
            CaseOutcome::Differs { line: 2, .. }
        ));
    }
}
