//! The synchronous part of the accept path, per byte: validation alone, and validation with
//! the declarative mapping evaluated in the same pass (issue 4: mapping should add at most 25%).
//! `cargo bench --bench pipeline`

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use xoev_gateway::config;
use xoev_gateway::pipeline::Pipeline;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/valid")
            .join(name),
    )
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

fn pipeline(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gateway.toml");
    let config = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let pipeline = Pipeline::compile(&config).unwrap_or_else(|e| panic!("{e:?}"));
    let sender = config.senders[0].clone();
    let inputs = [
        ("bauantrag-minimal", fixture("bauantrag-minimal.xml")),
        ("bauantrag-large", large_bauantrag()),
    ];
    let mut group = c.benchmark_group("pipeline");
    for (name, body) in &inputs {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("validate/{name}"), |b| {
            b.iter(|| pipeline.check(body, Some("example")).expect("valid"))
        });
        group.bench_function(format!("validate+map/{name}"), |b| {
            b.iter(|| pipeline.process(body, &sender).expect("accepted"))
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
