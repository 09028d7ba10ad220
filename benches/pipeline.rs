//! The synchronous part of the accept path, per byte: validation alone (`Pipeline::check`), and
//! validation with the declarative mapping evaluated in the same pass (`Pipeline::process`:
//! root peek, validation, envelope, routing, mapping). Issue 4: mapping should add at most 25%.
//!
//! Inputs:
//! - the project's example messages with `mappings/bauantrag-bausoftware.toml`;
//! - the validator's benchmark corpus (XBau 2.6 `baugenehmigung.antrag.0200`, 50 KB and 5 MB)
//!   with `mappings/xbau-baugenehmigung-antrag-bausoftware.toml`. Needs `../shared` and the
//!   corpus written by
//!   `cargo run --release -p xsd-validator --example make_corpus -- ../shared/xoev/xbau-2.6/artifacts/xbau/2.6/xsd/xsd_dev/xbau-nachrichten-baugenehmigung.xsd target/bench-corpus`;
//!   skipped with a printed reason when either is missing.
//!
//! `cargo bench --bench pipeline`
//!
//! For instruction counts (`perf stat -e instructions:u`, callgrind), a fixed number of
//! iterations of one case without criterion: `XOEV_PIPELINE_RUN=validate+map/xbau-5m:20
//! target/release/deps/pipeline-<hash>`; the per-iteration count is the difference of two
//! runs with different counts divided by the difference (setup compiles the schemas).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};

use xoev_gateway::config::{self, Sender};
use xoev_gateway::pipeline::Pipeline;

/// One pipeline with the inputs it is measured on.
struct Setup {
    name: &'static str,
    pipeline: Pipeline,
    sender: Sender,
    schema_set: &'static str,
    inputs: Vec<(String, Vec<u8>)>,
    /// Keeps the generated configuration alive while the pipeline is used.
    _dir: Option<tempfile::TempDir>,
}

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo("fixtures/valid").join(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The example Bauantrag with 20 attachments of 1.5 KB: a ~40 KB message.
fn large_bauantrag() -> Vec<u8> {
    let text = String::from_utf8(fixture("bauantrag-mit-anlagen.xml")).unwrap_or_default();
    let attachment = format!(
        "  <anlage xmlns=\"\">\n    <dateiname>Plan.pdf</dateiname>\n    <mimeType>application/pdf</mimeType>\n    <inhalt>{}</inhalt>\n  </anlage>\n",
        "QUJD".repeat(384)
    );
    let end = "</bauantrag.antrag.0200>";
    let body = text.replace(
        "  <anlage xmlns=\"\">\n    <dateiname>Lageplan.pdf",
        &format!(
            "{}  <anlage xmlns=\"\">\n    <dateiname>Lageplan.pdf",
            attachment.repeat(18)
        ),
    );
    assert!(body.ends_with(&format!("{end}\n")));
    body.into_bytes()
}

fn example_setup() -> Setup {
    let config = config::load(&repo("examples/gateway.toml")).unwrap_or_else(|e| panic!("{e}"));
    let pipeline = Pipeline::compile(&config).unwrap_or_else(|e| panic!("{e:?}"));
    Setup {
        name: "example",
        pipeline,
        sender: config.senders[0].clone(),
        schema_set: "example",
        inputs: vec![
            ("bauantrag-minimal".into(), fixture("bauantrag-minimal.xml")),
            ("bauantrag-large".into(), large_bauantrag()),
        ],
        _dir: None,
    }
}

/// XBau 2.6 with the shipped XBau mapping on the validator's corpus; `None` (with the reason
/// printed) when the schema or the corpus is not there.
fn xbau_setup() -> Option<Setup> {
    let schema = repo(
        "../shared/xoev/xbau-2.6/artifacts/xbau/2.6/xsd/xsd_dev/xbau-nachrichten-baugenehmigung.xsd",
    );
    if !schema.is_file() {
        eprintln!(
            "skipping the XBau corpus: {} not found (../shared missing)",
            schema.display()
        );
        return None;
    }
    let corpus = repo("target/bench-corpus");
    let mut inputs = Vec::new();
    for name in ["xbau-50k", "xbau-5m"] {
        let file = corpus.join(format!("{name}.xml"));
        match std::fs::read(&file) {
            Ok(bytes) => inputs.push((name.to_owned(), bytes)),
            Err(e) => {
                eprintln!(
                    "skipping the XBau corpus: {}: {e}; write it with `cargo run --release -p xsd-validator --example make_corpus -- {} target/bench-corpus`",
                    file.display(),
                    schema.display()
                );
                return None;
            }
        }
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mapping = repo("mappings/xbau-baugenehmigung-antrag-bausoftware.toml");
    let text = format!(
        r#"
[[listener]]
address = "127.0.0.1:0"
[limits]
max_body_bytes = 67108864
[store]
kind = "sqlite"
path = "unused.sqlite"
[[schema_set]]
name = "xbau"
entry_files = [{schema:?}]
[[sender]]
name = "portal"
bearer_token_sha256 = "f4ff83e79c8eedae556b635dd3f7b95ce4290fe59c859938d30e4372930f830f"
allowed_messages = ["baugenehmigung.*"]
[[route]]
name = "xbau-antrag"
root_namespace = "http://www.xleitstelle.de/xbau/2/6"
root_name = "baugenehmigung.antrag.0200"
schema_set = "xbau"
destinations = [{{ destination = "bausoftware", mapping = "xbau-json" }}]
[[mapping]]
name = "xbau-json"
kind = "declarative"
file = {mapping:?}
[[destination]]
kind = "directory"
name = "bausoftware"
path = "outbox"
"#
    );
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let config = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let pipeline = Pipeline::compile(&config).unwrap_or_else(|e| panic!("{e:?}"));
    Some(Setup {
        name: "xbau",
        pipeline,
        sender: config.senders[0].clone(),
        schema_set: "xbau",
        inputs,
        _dir: Some(dir),
    })
}

fn setups() -> Vec<Setup> {
    let mut setups = vec![example_setup()];
    setups.extend(xbau_setup());
    setups
}

fn validate(setup: &Setup, body: &[u8]) {
    if let Err(refusal) = setup.pipeline.check(body, Some(setup.schema_set)) {
        panic!("{}: refused: {refusal:?}", setup.name);
    }
}

fn validate_and_map(setup: &Setup, body: &[u8]) {
    if let Err(refusal) = setup.pipeline.process(body, &setup.sender) {
        panic!("{}: refused: {refusal:?}", setup.name);
    }
}

fn bench(c: &mut Criterion, setups: &[Setup]) {
    let mut group = c.benchmark_group("pipeline");
    for setup in setups {
        for (name, body) in &setup.inputs {
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_function(format!("validate/{name}"), |b| {
                b.iter(|| validate(setup, body))
            });
            group.bench_function(format!("validate+map/{name}"), |b| {
                b.iter(|| validate_and_map(setup, body))
            });
        }
    }
    group.finish();
}

/// `validate/NAME:N` or `validate+map/NAME:N`: N iterations, for instruction counting.
fn fixed_run(spec: &str, setups: &[Setup]) {
    let (case, count) = spec.rsplit_once(':').unwrap_or((spec, "1"));
    let count: usize = count
        .parse()
        .unwrap_or_else(|e| panic!("XOEV_PIPELINE_RUN count {count:?}: {e}"));
    let (kind, input) = case
        .split_once('/')
        .unwrap_or_else(|| panic!("XOEV_PIPELINE_RUN wants KIND/INPUT:COUNT, got {spec:?}"));
    let (setup, body) = setups
        .iter()
        .find_map(|s| {
            s.inputs
                .iter()
                .find(|(name, _)| name == input)
                .map(|(_, body)| (s, body))
        })
        .unwrap_or_else(|| panic!("no input {input:?}"));
    for _ in 0..count {
        match kind {
            "validate" => validate(setup, body),
            "validate+map" => validate_and_map(setup, body),
            other => panic!("kind {other:?} is neither validate nor validate+map"),
        }
    }
}

fn main() {
    let setups = setups();
    if let Ok(spec) = std::env::var("XOEV_PIPELINE_RUN") {
        fixed_run(&spec, &setups);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &setups);
    criterion.final_summary();
}
