//! Builds the cases of each schema file, judges them with both validators (xmllint runs as a
//! separate process while our engine works) and tallies the verdicts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use xsd_validator::sample::{self, ChoiceStrategy, Optionality, SampleOptions};
use xsd_validator::{SchemaSet, ValidationOptions};

use super::corpus::{self, Standard};
use super::mutation::{self, Kind};
use super::outline::Outline;
use super::rng::Rng;
use super::tally::{Disagreement, Tally};
use super::xmllint::{self, Verdict};

/// How much to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Only the standards' subset schema files, and at most this many roots per file.
    pub subset_roots: Option<usize>,
    /// Generated instances per root: (name, options).
    pub variants: Vec<(&'static str, SampleOptions)>,
    /// Mutants per kind and instance (the original is always one case).
    pub mutants_per_kind: usize,
    pub xmllint_timeout: Duration,
}

impl Plan {
    /// The run of the normal test suite: a few hundred cases.
    pub fn subset() -> Plan {
        Plan {
            subset_roots: Some(3),
            variants: vec![variant_min(), variant_random()],
            mutants_per_kind: 2,
            xmllint_timeout: Duration::from_secs(120),
        }
    }

    /// `XSD_DIFF_FULL=1`: every schema file and root, three instances each.
    pub fn full() -> Plan {
        Plan {
            subset_roots: None,
            variants: vec![variant_min(), variant_random(), variant_all()],
            mutants_per_kind: 3,
            xmllint_timeout: Duration::from_secs(900),
        }
    }
}

fn variant_min() -> (&'static str, SampleOptions) {
    (
        "min",
        SampleOptions {
            seed: 1,
            optional_elements: Optionality::Minimal,
            ..SampleOptions::default()
        },
    )
}

fn variant_random() -> (&'static str, SampleOptions) {
    (
        "rnd",
        SampleOptions {
            seed: 3,
            optional_elements: Optionality::Random(0.5),
            choice: ChoiceStrategy::Random,
            max_elements: 400,
            ..SampleOptions::default()
        },
    )
}

fn variant_all() -> (&'static str, SampleOptions) {
    (
        "all",
        SampleOptions {
            seed: 2,
            optional_elements: Optionality::All,
            max_repeat: 2,
            max_elements: 1_500,
            ..SampleOptions::default()
        },
    )
}

/// One mutant waiting for its verdicts.
struct Case {
    id: String,
    kind: Kind,
    note: String,
    file: String,
}

/// Runs every standard; mutants go to `scratch`, disagreeing ones are kept in `keep`.
pub fn run(standards: &[Standard], plan: &Plan, scratch: &Path, keep: &Path) -> Tally {
    let mut tally = Tally::default();
    let mut next_file = 0usize;
    for standard in standards {
        let files: Vec<PathBuf> = match plan.subset_roots {
            Some(_) => standard
                .subset
                .iter()
                .map(|f| standard.dir.join(f))
                .collect(),
            None => corpus::schema_files(&standard.dir),
        };
        for schema in files {
            run_schema(
                standard,
                &schema,
                plan,
                scratch,
                keep,
                &mut next_file,
                &mut tally,
            );
        }
    }
    tally
}

fn run_schema(
    standard: &Standard,
    schema: &Path,
    plan: &Plan,
    scratch: &Path,
    keep: &Path,
    next_file: &mut usize,
    tally: &mut Tally,
) {
    let stem = schema
        .file_stem()
        .map(|s| s.to_string_lossy().replace(' ', "_"))
        .unwrap_or_default();
    let set = match SchemaSet::compile(&[schema.to_path_buf()], standard.catalog.as_deref()) {
        Ok(set) => set,
        Err(errors) => {
            tally.problems.push(format!(
                "{}: does not compile: {}",
                schema.display(),
                errors.first().map(ToString::to_string).unwrap_or_default()
            ));
            return;
        }
    };
    let mut roots = corpus::message_roots(&set, schema);
    if roots.is_empty() {
        return;
    }
    if let Some(n) = plan.subset_roots {
        // Evenly spread over the sorted roots, so the subset covers different messages.
        let step = roots.len().div_ceil(n).max(1);
        roots = roots.into_iter().step_by(step).collect();
    }
    let mut cases = Vec::new();
    for (ns, local) in &roots {
        for (variant, options) in &plan.variants {
            let base = format!("{}/{stem}/{local}/{variant}", standard.id);
            let doc = match sample::generate(set.model(), (ns.as_deref(), local), options) {
                Ok(doc) => doc,
                Err(e) => {
                    tally.not_generated.push(format!("{base}: {e}"));
                    continue;
                }
            };
            let outline = match Outline::build(doc.as_bytes(), &set) {
                Ok(o) => o,
                Err(e) => {
                    tally.problems.push(format!("{base}: outline: {e}"));
                    continue;
                }
            };
            for kind in Kind::ALL {
                let count = if kind == Kind::Original {
                    1
                } else {
                    plan.mutants_per_kind
                };
                for n in 1..=count {
                    let id = format!("{base}/{}-{n}", kind.name());
                    let mut rng = Rng::for_case(&id);
                    let Some(mutant) = mutation::mutate(&doc, &outline, kind, &mut rng) else {
                        continue;
                    };
                    let file = format!("c{next_file}.xml");
                    *next_file += 1;
                    let path = scratch.join(&file);
                    if let Err(e) = std::fs::write(&path, &mutant.text) {
                        tally.problems.push(format!("{}: {e}", path.display()));
                        continue;
                    }
                    cases.push(Case {
                        id,
                        kind,
                        note: mutant.note,
                        file,
                    });
                }
            }
        }
    }
    if cases.is_empty() {
        return;
    }
    let names: Vec<String> = cases.iter().map(|c| c.file.clone()).collect();
    let batch = xmllint::start(
        schema,
        standard.catalog.as_deref(),
        scratch,
        &names,
        plan.xmllint_timeout,
    );
    // Our verdicts while xmllint works on its own core.
    let options = ValidationOptions::default();
    let mut ours: Vec<(bool, String)> = Vec::with_capacity(cases.len());
    for case in &cases {
        let bytes = match std::fs::read(scratch.join(&case.file)) {
            Ok(bytes) => bytes,
            Err(e) => {
                ours.push((false, format!("cannot read: {e}")));
                continue;
            }
        };
        let outcome = set.validate(&bytes, &options);
        // Only the malformed kind may break well-formedness, and it must.
        if outcome.well_formed == (case.kind == Kind::Malformed) {
            tally.problems.push(format!(
                "{}: mutation {} left the document {}",
                case.id,
                case.note,
                if outcome.well_formed {
                    "well-formed"
                } else {
                    "not well-formed"
                }
            ));
        }
        let first = outcome
            .violations
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        ours.push((outcome.is_valid(), first));
    }
    let verdicts = match batch.and_then(xmllint::Batch::finish) {
        Ok(v) => v,
        Err(e) => {
            tally.problems.push(format!("{}: {e}", schema.display()));
            return;
        }
    };
    for (case, (valid, first)) in cases.iter().zip(ours) {
        let (verdict, line) = verdicts
            .get(&case.file)
            .cloned()
            .unwrap_or((Verdict::Missing, String::new()));
        match verdict {
            Verdict::Missing => {
                tally
                    .problems
                    .push(format!("{}: xmllint gave no verdict", case.id));
                continue;
            }
            Verdict::InternalError => tally.xmllint_internal_errors += 1,
            _ => {}
        }
        let theirs = verdict.is_valid();
        tally.record(standard.id, case.kind, &case.id, valid, theirs);
        if case.kind == Kind::Original && !valid && !theirs {
            // Both reject a generated instance: the generator's problem, not a disagreement.
            tally.invalid_originals.push(format!("{}: {line}", case.id));
        }
        if valid != theirs {
            let kept = keep.join(format!("{}.xml", case.id.replace('/', "__")));
            let _ = std::fs::copy(scratch.join(&case.file), &kept);
            tally.disagreements.push(Disagreement {
                id: case.id.clone(),
                note: case.note.clone(),
                ours: if valid {
                    "valid".to_owned()
                } else {
                    format!("invalid: {first}")
                },
                xmllint: format!("{verdict:?}: {line}"),
                file: kept.display().to_string(),
            });
        }
    }
    for case in &cases {
        let _ = std::fs::remove_file(scratch.join(&case.file));
    }
}
