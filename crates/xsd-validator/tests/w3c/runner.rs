//! Runs an [`Engine`] over an [`Index`]: one compile per group, shared by the group's schema test
//! and instance tests; panics are caught per case; groups are spread over worker threads.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::engine::Engine;
use super::suite::{Case, Group, Index, Kind, Validity};

#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub threads: usize,
    /// Run every n-th group only (1 = all). Deterministic: groups are taken in suite order.
    pub sample_every: usize,
}

impl RunOptions {
    /// `XSD_W3C_THREADS` (default: available parallelism) and `XSD_W3C_SAMPLE` (default 1).
    pub fn from_env() -> RunOptions {
        let number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
        };
        RunOptions {
            threads: number("XSD_W3C_THREADS").unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
            sample_every: number("XSD_W3C_SAMPLE").unwrap_or(1),
        }
    }

    pub fn is_full_run(&self) -> bool {
        self.sample_every == 1
    }
}

/// Why a case failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// The engine reached the wrong verdict.
    Mismatch,
    /// Instance test whose group schema did not compile.
    SchemaRejected,
    /// The engine returned `Err` from `validate`.
    EngineError,
    /// The engine panicked.
    Panic,
}

impl Mark {
    pub fn label(self) -> &'static str {
        match self {
            Mark::Mismatch => "mismatch",
            Mark::SchemaRejected => "schema-rejected",
            Mark::EngineError => "engine-error",
            Mark::Panic => "panic",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Failure {
    pub mark: Mark,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub id: String,
    pub set: String,
    pub kind: Kind,
    pub failure: Option<Failure>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassCount {
    pub passed: usize,
    pub total: usize,
}

impl PassCount {
    pub fn failed(&self) -> usize {
        self.total - self.passed
    }

    /// Percentage; 100 for an empty count so that empty sets do not look broken.
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.passed as f64 * 100.0 / self.total as f64
        }
    }

    fn add(&mut self, passed: bool) {
        self.total += 1;
        self.passed += usize::from(passed);
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SetResult {
    pub schema: PassCount,
    pub instance: PassCount,
}

impl SetResult {
    fn count(&mut self, kind: Kind) -> &mut PassCount {
        match kind {
            Kind::Schema => &mut self.schema,
            Kind::Instance => &mut self.instance,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Outcomes in suite order.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Per test set, in suite order.
    pub fn sets(&self) -> Vec<(&str, SetResult)> {
        let mut sets: Vec<(&str, SetResult)> = Vec::new();
        for outcome in &self.outcomes {
            let position = match sets.iter().position(|(name, _)| *name == outcome.set) {
                Some(p) => p,
                None => {
                    sets.push((&outcome.set, SetResult::default()));
                    sets.len() - 1
                }
            };
            if let Some((_, result)) = sets.get_mut(position) {
                result.count(outcome.kind).add(outcome.failure.is_none());
            }
        }
        sets
    }

    pub fn overall(&self, kind: Kind) -> PassCount {
        let mut count = PassCount::default();
        for outcome in self.outcomes.iter().filter(|o| o.kind == kind) {
            count.add(outcome.failure.is_none());
        }
        count
    }

    pub fn ran_ids(&self, kind: Kind) -> BTreeSet<String> {
        self.ids(kind, |_| true)
    }

    pub fn failing_ids(&self, kind: Kind) -> BTreeSet<String> {
        self.ids(kind, |o| o.failure.is_some())
    }

    pub fn failures_marked(&self, mark: Mark) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(move |o| o.failure.as_ref().is_some_and(|f| f.mark == mark))
    }

    fn ids(&self, kind: Kind, keep: impl Fn(&Outcome) -> bool) -> BTreeSet<String> {
        self.outcomes
            .iter()
            .filter(|o| o.kind == kind && keep(o))
            .map(|o| o.id.clone())
            .collect()
    }

    /// The summary table: one row per test set, then the overall rates.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<34} {:>17} {:>7} {:>17} {:>7}",
            "test set", "schema pass/total", "%", "inst. pass/total", "%"
        );
        for (name, result) in self.sets() {
            let _ = writeln!(
                out,
                "{:<34} {:>17} {:>7} {:>17} {:>7}",
                name,
                format!("{}/{}", result.schema.passed, result.schema.total),
                format!("{:.1}", result.schema.rate()),
                format!("{}/{}", result.instance.passed, result.instance.total),
                format!("{:.1}", result.instance.rate()),
            );
        }
        self.overall_lines(&mut out);
        let compiled = self.instances_with_schema();
        let _ = writeln!(
            out,
            "instances whose group schema compiled: {}/{} passed ({:.2}%)",
            compiled.passed,
            compiled.total,
            compiled.rate()
        );
        out
    }

    /// Instance cases other than those failed because their group schema did not compile.
    pub fn instances_with_schema(&self) -> PassCount {
        let mut count = PassCount::default();
        for outcome in self.outcomes.iter().filter(|o| {
            o.kind == Kind::Instance
                && !o
                    .failure
                    .as_ref()
                    .is_some_and(|f| f.mark == Mark::SchemaRejected)
        }) {
            count.add(outcome.failure.is_none());
        }
        count
    }

    fn overall_lines(&self, out: &mut String) {
        for kind in [Kind::Schema, Kind::Instance] {
            let count = self.overall(kind);
            let panics = self
                .failures_marked(Mark::Panic)
                .filter(|o| o.kind == kind)
                .count();
            let _ = writeln!(
                out,
                "overall {:<8}: {}/{} passed ({:.2}%), {} failed, {} panics",
                kind.label(),
                count.passed,
                count.total,
                count.rate(),
                count.failed(),
                panics
            );
        }
    }
}

/// Runs the engine over the selected groups of `index`.
pub fn run<E: Engine + Sync>(engine: &E, index: &Index, options: RunOptions) -> Report {
    let groups: Vec<&Group> = index
        .groups
        .iter()
        .step_by(options.sample_every.max(1))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Vec<Outcome>)>> = Mutex::new(Vec::with_capacity(groups.len()));
    std::thread::scope(|scope| {
        for _ in 0..options.threads.max(1) {
            scope.spawn(|| {
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(group) = groups.get(i) else { break };
                    local.push((i, run_group(engine, group)));
                }
                // A poisoned lock can only come from a panic while holding it, which the
                // extend below cannot cause; recover the data either way.
                results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(local);
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    Report {
        outcomes: results.into_iter().flat_map(|(_, o)| o).collect(),
    }
}

fn run_group<E: Engine>(engine: &E, group: &Group) -> Vec<Outcome> {
    let compiled = guarded(|| engine.compile(&group.schema_documents));
    group
        .cases
        .iter()
        .map(|case| Outcome {
            id: case.id.clone(),
            set: group.set.clone(),
            kind: case.kind,
            failure: judge(engine, &compiled, case),
        })
        .collect()
}

/// `Err(message)` when `f` panicked.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned())
    })
}

fn judge<E: Engine>(
    engine: &E,
    compiled: &Result<Result<E::Compiled, String>, String>,
    case: &Case,
) -> Option<Failure> {
    let fail = |mark, detail: &str| {
        Some(Failure {
            mark,
            detail: first_line(detail),
        })
    };
    let compiled = match compiled {
        Err(panic) => return fail(Mark::Panic, panic),
        Ok(compiled) => compiled,
    };
    let expected_valid = case.expected == Validity::Valid;
    match case.kind {
        Kind::Schema => match (compiled, expected_valid) {
            (Ok(_), true) | (Err(_), false) => None,
            (Ok(_), false) => fail(Mark::Mismatch, "schema accepted, expected invalid"),
            (Err(e), true) => fail(Mark::Mismatch, &format!("schema rejected: {e}")),
        },
        Kind::Instance => {
            let schema = match compiled {
                Ok(schema) => schema,
                Err(e) => return fail(Mark::SchemaRejected, e),
            };
            let Some(instance) = case.files.first() else {
                return fail(Mark::EngineError, "instance test without a document");
            };
            match guarded(|| engine.validate(schema, instance)) {
                Err(panic) => fail(Mark::Panic, &panic),
                Ok(Err(e)) => fail(Mark::EngineError, &e),
                Ok(Ok(valid)) if valid == expected_valid => None,
                Ok(Ok(valid)) => fail(
                    Mark::Mismatch,
                    if valid {
                        "instance accepted, expected invalid"
                    } else {
                        "instance rejected, expected valid"
                    },
                ),
            }
        }
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(240).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Compiles iff the first schema file name contains "ok"; validates iff the instance name
    /// contains "valid" but not "invalid"; panics on names containing "boom".
    struct Toy;

    impl Engine for Toy {
        type Compiled = ();

        fn compile(&self, files: &[PathBuf]) -> Result<(), String> {
            let name = files
                .first()
                .map(|f| f.display().to_string())
                .unwrap_or_default();
            assert!(!name.contains("boom"), "toy engine exploded");
            if name.contains("ok") {
                Ok(())
            } else {
                Err("toy rejects".into())
            }
        }

        fn compile_with_catalog(&self, files: &[PathBuf], _: &Path) -> Result<(), String> {
            self.compile(files)
        }

        fn validate(&self, _: &(), instance: &Path) -> Result<bool, String> {
            let name = instance.display().to_string();
            if name.contains("boom") {
                panic!("toy validate exploded");
            }
            if name.contains("unreadable") {
                return Err("cannot read".into());
            }
            Ok(name.contains("valid") && !name.contains("invalid"))
        }
    }

    fn group(name: &str, schema: &str, cases: &[(Kind, &str, Validity)]) -> Group {
        Group {
            set: "S".into(),
            name: name.into(),
            schema_documents: vec![PathBuf::from(schema)],
            cases: cases
                .iter()
                .map(|&(kind, file, expected)| Case {
                    id: format!("S/{name}/{file}"),
                    kind,
                    files: vec![PathBuf::from(if kind == Kind::Schema {
                        schema
                    } else {
                        file
                    })],
                    expected,
                })
                .collect(),
        }
    }

    #[test]
    fn verdicts_marks_and_rates() {
        use Kind::*;
        use Validity::*;
        let index = Index {
            groups: vec![
                group(
                    "a",
                    "ok.xsd",
                    &[
                        (Schema, "s", Valid),
                        (Instance, "valid.xml", Valid),
                        (Instance, "invalid.xml", Valid),
                        (Instance, "boom.xml", Valid),
                        (Instance, "unreadable.xml", Invalid),
                    ],
                ),
                group(
                    "b",
                    "bad.xsd",
                    &[(Schema, "s", Valid), (Instance, "valid.xml", Valid)],
                ),
                group("c", "bad.xsd", &[(Schema, "s", Invalid)]),
                group(
                    "d",
                    "boom.xsd",
                    &[(Schema, "s", Valid), (Instance, "valid.xml", Valid)],
                ),
            ],
            ..Index::default()
        };
        for threads in [1, 3] {
            let report = run(
                &Toy,
                &index,
                RunOptions {
                    threads,
                    sample_every: 1,
                },
            );
            let marks: Vec<_> = report
                .outcomes
                .iter()
                .map(|o| (o.id.as_str(), o.failure.as_ref().map(|f| f.mark)))
                .collect();
            assert_eq!(
                marks,
                [
                    ("S/a/s", None),
                    ("S/a/valid.xml", None),
                    ("S/a/invalid.xml", Some(Mark::Mismatch)),
                    ("S/a/boom.xml", Some(Mark::Panic)),
                    ("S/a/unreadable.xml", Some(Mark::EngineError)),
                    ("S/b/s", Some(Mark::Mismatch)),
                    ("S/b/valid.xml", Some(Mark::SchemaRejected)),
                    ("S/c/s", None),
                    ("S/d/s", Some(Mark::Panic)),
                    ("S/d/valid.xml", Some(Mark::Panic)),
                ]
            );
            assert_eq!(
                report.overall(Schema),
                PassCount {
                    passed: 2,
                    total: 4
                }
            );
            assert_eq!(
                report.overall(Instance),
                PassCount {
                    passed: 1,
                    total: 6
                }
            );
            assert_eq!(report.sets().len(), 1);
            assert!(report
                .table()
                .contains("overall instance: 1/6 passed (16.67%), 5 failed, 2 panics"));
        }
        let sampled = run(
            &Toy,
            &index,
            RunOptions {
                threads: 2,
                sample_every: 2,
            },
        );
        let groups: BTreeSet<_> = sampled.outcomes.iter().map(|o| &o.id[..3]).collect();
        assert_eq!(groups, ["S/a", "S/c"].into_iter().collect());
    }
}
