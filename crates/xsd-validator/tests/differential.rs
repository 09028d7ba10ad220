//! Differential test against xmllint: generated XÖV instances and their mutants must get
//! libxml2's verdict, except the disagreements listed (with the deciding spec clause) in
//! tests/known-failures/differential.txt. A new disagreement fails the test. Every generated
//! message (all roots, all schema files) must also be valid for both.
//!
//! - normal run: a deterministic subset (a few hundred cases);
//! - `XSD_DIFF_FULL=1`: every schema file and message root of the four standards;
//! - `XSD_RATCHET_STRICT=1`: listed disagreements that no longer occur fail the test too.
//!
//! Needs xmllint and ../shared/xoev: skips with a reason when missing, fails when `CI=true`.
//! Disagreeing mutants are kept under the target dir (their paths are printed).

// Shared with tests/w3c_suite.rs; this test uses the shared-dir lookup and the ratchet.
#[allow(dead_code)]
mod w3c;

#[path = "differential/mod.rs"]
mod harness;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use harness::runner::{self, Plan};
use harness::{corpus, xmllint};
use w3c::ratchet;
use xsd_validator::sample::{self, Optionality, SampleOptions};
use xsd_validator::{SchemaSet, ValidationOptions};

const KNOWN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/known-failures/differential.txt"
);

#[test]
fn differential_against_xmllint() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Some(xoev) = w3c::shared::require("xoev", "differential_against_xmllint") else {
        return;
    };
    let version = match xmllint::version() {
        Ok(v) => v,
        Err(e) if ci => panic!("differential_against_xmllint: {e} and CI=true"),
        Err(e) => {
            eprintln!("differential_against_xmllint: skipped, {e}");
            return;
        }
    };
    let full = std::env::var("XSD_DIFF_FULL").is_ok_and(|v| v == "1" || v == "true");
    let plan = if full { Plan::full() } else { Plan::subset() };
    let scratch = xmllint::scratch("cases").unwrap_or_else(|e| panic!("{e}"));
    let keep = xmllint::scratch("disagreements").unwrap_or_else(|e| panic!("{e}"));

    let started = Instant::now();
    let tally = runner::run(&corpus::standards(&xoev), &plan, &scratch, &keep);
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&scratch);

    eprintln!(
        "differential ({}, {version}): {} cases in {:.1} s\n{}",
        if full { "full run" } else { "subset" },
        tally.total().cases,
        elapsed.as_secs_f64(),
        tally.summary()
    );
    for d in &tally.disagreements {
        eprintln!(
            "DISAGREE {}\n  mutation: {}\n  ours: {}\n  xmllint: {}\n  file: {}",
            d.id, d.note, d.ours, d.xmllint, d.file
        );
    }
    for n in &tally.invalid_originals {
        eprintln!("generated instance invalid for both: {n}");
    }
    for n in &tally.not_generated {
        eprintln!("not generated: {n}");
    }
    if tally.disagreements.is_empty() {
        let _ = std::fs::remove_dir_all(&keep);
    }
    assert!(
        tally.problems.is_empty(),
        "{} problems:\n{}",
        tally.problems.len(),
        tally.problems.join("\n")
    );
    let minimum = if full { 5_000 } else { 200 };
    assert!(
        tally.total().cases >= minimum,
        "only {} cases (want >= {minimum})",
        tally.total().cases
    );

    let known = ratchet::load(Path::new(KNOWN)).unwrap_or_else(|e| panic!("{e}"));
    let ran: BTreeSet<String> = tally.ran.iter().cloned().collect();
    let failing: BTreeSet<String> = tally.disagreements.iter().map(|d| d.id.clone()).collect();
    let drift = ratchet::compare(&known, &ran, &failing, full);
    if !drift.newly_passing.is_empty() {
        let note = format!(
            "{KNOWN}: these no longer disagree, remove them:\n  {}",
            drift.newly_passing.join("\n  ")
        );
        assert!(!ratchet::Policy::from_env().strict, "{note}");
        eprintln!("{note}");
    }
    assert!(
        drift.new_failures.is_empty(),
        "{} new disagreements with xmllint (not in {KNOWN}):\n  {}",
        drift.new_failures.len(),
        drift.new_failures.join("\n  ")
    );
}

/// Every message root of every schema file of the four standards, sampled with all and with
/// only the required optional content: each instance is valid for xmllint and for us.
#[test]
fn generated_messages_are_valid() {
    let Some(xoev) = w3c::shared::require("xoev", "generated_messages_are_valid") else {
        return;
    };
    if let Err(e) = xmllint::version() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "generated_messages_are_valid: {e} and CI=true"
        );
        eprintln!("generated_messages_are_valid: skipped, {e}");
        return;
    }
    let scratch = xmllint::scratch("samples").unwrap_or_else(|e| panic!("{e}"));
    let mut report = Vec::new();
    let mut problems = Vec::new();
    for standard in corpus::standards(&xoev) {
        let (mut generated, mut valid) = (0, 0);
        for schema in corpus::schema_files(&standard.dir) {
            let set = match SchemaSet::compile(
                std::slice::from_ref(&schema),
                standard.catalog.as_deref(),
            ) {
                Ok(set) => set,
                Err(e) => {
                    problems.push(format!(
                        "{}: does not compile: {:?}",
                        schema.display(),
                        e.first()
                    ));
                    continue;
                }
            };
            let mut files = Vec::new();
            for (namespace, local) in corpus::message_roots(&set, &schema) {
                for (tag, optional) in [("min", Optionality::Minimal), ("all", Optionality::All)] {
                    let options = SampleOptions {
                        seed: 7,
                        optional_elements: optional,
                        ..SampleOptions::default()
                    };
                    generated += 1;
                    let document = match sample::generate(
                        set.model(),
                        (namespace.as_deref(), &local),
                        &options,
                    ) {
                        Ok(document) => document,
                        Err(e) => {
                            problems.push(format!("{local} ({tag}): not generated: {e}"));
                            continue;
                        }
                    };
                    let outcome = set.validate(document.as_bytes(), &ValidationOptions::default());
                    if !outcome.is_valid() {
                        problems.push(format!(
                            "{local} ({tag}): invalid for us: {:?}",
                            outcome.violations.first()
                        ));
                    }
                    let name = format!("{local}.{tag}.xml");
                    std::fs::write(scratch.join(&name), document)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    files.push(name);
                }
            }
            if files.is_empty() {
                continue;
            }
            let verdicts = xmllint::start(
                &schema,
                standard.catalog.as_deref(),
                &scratch,
                &files,
                Duration::from_secs(300),
            )
            .and_then(xmllint::Batch::finish)
            .unwrap_or_else(|e| panic!("{}: {e}", schema.display()));
            for name in &files {
                match verdicts.get(name) {
                    Some((verdict, _)) if verdict.is_valid() => valid += 1,
                    Some((verdict, first)) => {
                        problems.push(format!("{name}: xmllint: {verdict:?} {first}"));
                    }
                    None => problems.push(format!("{name}: xmllint gave no verdict")),
                }
            }
        }
        report.push(format!(
            "{}: {valid} of {generated} generated instances valid for xmllint",
            standard.id
        ));
        // At least 20 roots (40 instances) where the standard has them; XWasser has 12.
        let wanted = if standard.id == "xwasser" { 24 } else { 40 };
        assert!(
            generated >= wanted,
            "{}: only {generated} instances",
            standard.id
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!("{}", report.join("\n"));
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The minimal repros of FINDINGS.md, each with our verdict and xmllint's, plus controls on
/// which both agree: if either validator changes its mind, this fails and FINDINGS.md (and
/// the known-failures list) must be revisited.
#[test]
fn findings_minimal_repros() {
    // (finding, instance, our verdict, xmllint's verdict)
    const CASES: [(&str, &str, bool, bool); 8] = [
        ("F1", "<r><e><![CDATA[ ]]></e></r>", true, false),
        ("F2", "<r><d> 2015-01-14 </d></r>", true, false),
        ("F3", "<r><b> true </b></r>", true, false),
        ("F4", "<r><u>+5</u></r>", true, false),
        ("F5", "<r><w><p:x/></w></r>", false, true),
        (
            "control",
            "<r><e>text</e><d>2015-01-14</d><b>true</b><u>5</u></r>",
            false,
            false,
        ),
        (
            "control",
            "<r><e>&#32;</e><d>2015-01-14</d><b>true</b><u>5</u></r>",
            true,
            true,
        ),
        ("control", "<r><d>2023-02-30</d></r>", false, false),
    ];
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if let Err(e) = xmllint::version() {
        assert!(!ci, "findings_minimal_repros: {e} and CI=true");
        eprintln!("findings_minimal_repros: skipped, {e}");
        return;
    }
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/repro/findings.xsd");
    let dir = xmllint::scratch("findings").unwrap_or_else(|e| panic!("{e}"));
    let set =
        SchemaSet::compile(std::slice::from_ref(&schema), None).unwrap_or_else(|e| panic!("{e:?}"));
    let mut files = Vec::new();
    for (i, (_, text, ..)) in CASES.iter().enumerate() {
        let file = format!("f{i}.xml");
        std::fs::write(dir.join(&file), text).unwrap_or_else(|e| panic!("{e}"));
        files.push(file);
    }
    let verdicts = xmllint::start(&schema, None, &dir, &files, Duration::from_secs(60))
        .and_then(xmllint::Batch::finish)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut wrong = Vec::new();
    for ((finding, text, ours_expected, theirs_expected), file) in CASES.iter().zip(&files) {
        let ours = set
            .validate(text.as_bytes(), &ValidationOptions::default())
            .is_valid();
        let theirs = verdicts.get(file).is_some_and(|(v, _)| v.is_valid());
        if (ours, theirs) != (*ours_expected, *theirs_expected) {
            wrong.push(format!(
                "{finding} {text}: ours {ours} (expected {ours_expected}), xmllint {theirs} (expected {theirs_expected})"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "verdicts changed:\n{}", wrong.join("\n"));
}
