//! The XÖV corpus (shared/xoev/MANIFEST.tsv): every message must get the manifest's verdict
//! (xmllint's), with schemas resolved through the listed OASIS catalog where there is one.
//!
//! - `manifest_is_complete`: the manifest parses and names 33 existing messages.
//! - `xoev_corpus`: the product engine over the manifest.
//! - `xmllint_reference_xoev` (ignored): the xmllint oracle must reproduce the manifest.

// Shared with tests/w3c_suite.rs; this test uses the engine, oracle and manifest parts.
#[allow(dead_code)]
mod w3c;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use w3c::engine::Engine;
use w3c::manifest::{self, Entry};
use w3c::oracle::Xmllint;
use w3c::product::Product;
use w3c::suite::Validity;

fn load() -> Option<Vec<Entry>> {
    let root = w3c::shared::require("xoev", "xoev_corpus")?;
    let path = root.join("MANIFEST.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(manifest::parse(&text, &root).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn manifest_is_complete() {
    let Some(entries) = load() else { return };
    assert_eq!(entries.len(), 33, "the issue names 33 messages");
    for entry in &entries {
        for file in [
            Some(&entry.schema),
            Some(&entry.instance),
            entry.catalog.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                file.is_file(),
                "MANIFEST.tsv:{}: {} is missing",
                entry.line,
                file.display()
            );
        }
    }
    let invalid = entries
        .iter()
        .filter(|e| e.expected == Validity::Invalid)
        .count();
    assert!(
        invalid > 0 && invalid < entries.len(),
        "both verdicts are exercised"
    );
}

/// The product engine with its default options (xmllint-compatible verdicts);
/// `XSD_ENGINE=xmllint` runs the reference oracle instead.
#[test]
fn xoev_corpus() {
    let Some(entries) = load() else { return };
    match std::env::var("XSD_ENGINE").as_deref() {
        Ok("xmllint") => check(&Xmllint::new().unwrap_or_else(|e| panic!("{e}")), &entries),
        _ => check(&Product::defaults(), &entries),
    }
}

#[test]
#[ignore = "reference run: needs xmllint"]
fn xmllint_reference_xoev() {
    let Some(entries) = load() else { return };
    let xmllint = Xmllint::new().unwrap_or_else(|e| panic!("{e}"));
    check(&xmllint, &entries);
}

/// Compiles each (schema, catalog) once and compares every verdict; fails listing every
/// disagreement. No panic catching here: a panic fails the test directly.
fn check<E: Engine>(engine: &E, entries: &[Entry]) {
    let mut schemas: BTreeMap<(PathBuf, Option<PathBuf>), Result<E::Compiled, String>> =
        BTreeMap::new();
    let mut problems = Vec::new();
    for entry in entries {
        let key = (entry.schema.clone(), entry.catalog.clone());
        let compiled = schemas.entry(key).or_insert_with(|| {
            let files = [entry.schema.clone()];
            match &entry.catalog {
                Some(catalog) => engine.compile_with_catalog(&files, catalog),
                None => engine.compile(&files),
            }
        });
        let instance = short(&entry.instance);
        let verdict = match compiled {
            Err(e) => Err(format!(
                "schema {} does not compile: {e}",
                short(&entry.schema)
            )),
            Ok(schema) => engine.validate(schema, &entry.instance),
        };
        match verdict {
            Ok(valid) if valid == (entry.expected == Validity::Valid) => {}
            Ok(valid) => problems.push(format!(
                "line {}: {instance}: {}, expected {:?}",
                entry.line,
                if valid { "valid" } else { "invalid" },
                entry.expected
            )),
            Err(e) => problems.push(format!("line {}: {instance}: {e}", entry.line)),
        }
    }
    eprintln!(
        "XÖV corpus: {} schemas, {}/{} messages agree",
        schemas.len(),
        entries.len() - problems.len(),
        entries.len()
    );
    assert!(
        problems.is_empty(),
        "disagreements:\n{}",
        problems.join("\n")
    );
}

fn short(path: &Path) -> String {
    let display = path.display().to_string();
    match display.split_once("/xoev/") {
        Some((_, inside)) => inside.to_owned(),
        None => display,
    }
}
