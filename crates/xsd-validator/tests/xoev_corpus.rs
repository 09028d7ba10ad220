//! The XÖV corpus (shared/xoev/MANIFEST.tsv): every message must get the manifest's verdict
//! (xmllint's), with schemas resolved through the listed OASIS catalog where there is one.
//!
//! - `manifest_is_complete`: the manifest parses and names 33 existing messages.
//! - `xoev_corpus`: the product engine over the manifest.
//! - `xmllint_reference_xoev` (ignored): the xmllint oracle must reproduce the manifest.
//! - `xoev_corpus_streamed`: every message gets the same outcome streamed from its file as in
//!   memory, and the same reader events in windows of 61 bytes.

// Shared with tests/w3c_suite.rs; this test uses the engine, oracle and manifest parts.
#[allow(dead_code)]
mod w3c;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use xsd_validator::reader::{Event, EventStream, Limits, Reader};
use xsd_validator::{SchemaSet, ValidationOptions};

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

/// Streamed validation (`validate_read` on the open file, as the CLI does) gives each message
/// the same outcome as validation in memory, violation for violation; and the reader reports
/// the same events, positions and paths in windows of 61 bytes (most messages are smaller than
/// the default window of 64 KiB).
#[test]
fn xoev_corpus_streamed() {
    let Some(entries) = load() else { return };
    let options = ValidationOptions::default();
    let mut sets: BTreeMap<(PathBuf, Option<PathBuf>), Option<SchemaSet>> = BTreeMap::new();
    let mut compared = 0;
    for entry in &entries {
        let key = (entry.schema.clone(), entry.catalog.clone());
        let set = sets.entry(key).or_insert_with(|| {
            SchemaSet::compile(
                std::slice::from_ref(&entry.schema),
                entry.catalog.as_deref(),
            )
            .ok()
        });
        // A schema that does not compile is `xoev_corpus`'s failure to report.
        let Some(set) = set else { continue };
        let name = short(&entry.instance);
        let bytes = std::fs::read(&entry.instance).unwrap_or_else(|e| panic!("{name}: {e}"));
        let in_memory = set.validate(&bytes, &options);
        let mut file =
            std::fs::File::open(&entry.instance).unwrap_or_else(|e| panic!("{name}: {e}"));
        let streamed = set
            .validate_read(&mut file, &options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(streamed, in_memory, "{name}: streamed outcome differs");
        assert_eq!(
            streamed_events(&bytes, 61),
            slice_events(&bytes),
            "{name}: streamed events differ"
        );
        compared += 1;
    }
    eprintln!(
        "XÖV corpus streamed: {compared}/{} messages agree",
        entries.len()
    );
    assert_eq!(compared, entries.len(), "every message was compared");
}

/// Each event with its position, path and attributes, and the error if any.
fn render(reader: &Reader<'_>, event: &Event<'_>) -> String {
    let mut line = format!("{} {}: ", reader.position(), reader.element_path());
    match event {
        Event::Start(tag) => {
            line.push_str(&format!("S{}", tag.name()));
            for a in tag.attributes() {
                let at = reader.attribute_position(a);
                line.push_str(&format!(" {}={:?}@{at}", a.name, a.value));
            }
        }
        Event::End(tag) => line.push_str(&format!("E{}", tag.name())),
        Event::Text(text) => line.push_str(&format!("T{text:?}")),
        Event::Eof => line.push_str("Eof"),
    }
    line
}

fn slice_events(bytes: &[u8]) -> Vec<String> {
    let mut reader = Reader::from_slice(bytes, Limits::default());
    let mut out = Vec::new();
    loop {
        if let Err(e) = reader.advance_event() {
            out.push(e.to_string());
            return out;
        }
        let event = reader.current_event();
        out.push(render(&reader, &event));
        if matches!(event, Event::Eof) {
            return out;
        }
    }
}

fn streamed_events(bytes: &[u8], window: usize) -> Vec<String> {
    let mut out = Vec::new();
    let stream = EventStream::with_window(bytes, Limits::default(), window);
    let result = stream.for_each_event(|reader, event| {
        out.push(render(reader, &event));
        ControlFlow::Continue(())
    });
    if let Err(e) = result {
        out.push(e.to_string());
    }
    out
}
