//! The synchronous part of the accept path: check + envelope + route of one submission, per
//! byte. `cargo bench --bench pipeline`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;

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

fn pipeline_process(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gateway.toml");
    let config = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let pipeline = Pipeline::compile(&config).unwrap_or_else(|e| panic!("{e:?}"));
    let sender = config.senders[0].clone();
    let mut group = c.benchmark_group("pipeline");
    for name in ["bauantrag-minimal.xml", "bauantrag-mit-anlagen.xml"] {
        let body = fixture(name);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let accepted = pipeline.process(&body, &sender);
                assert!(accepted.is_ok());
                accepted
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline_process);
criterion_main!(benches);
