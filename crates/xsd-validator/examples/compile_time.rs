//! Loads and compiles a schema set repeatedly and prints the time of each phase (median of the
//! runs), for profiling schema compilation:
//!
//!   cargo run --release -p xsd-validator --example compile_time -- [--runs N] [--catalog C] S.xsd...
//!
//! With `--cache DIR`, times reading the set from the compiled-schema cache in DIR instead
//! (after one compile that writes the entry).
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut runs = 30usize;
    let mut catalog = None;
    let mut cache = None;
    let mut entries = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--catalog" => catalog = args.next().map(PathBuf::from),
            "--cache" => cache = args.next().map(xsd_validator::cache::SchemaCache::new),
            _ => entries.push(PathBuf::from(arg)),
        }
    }
    if entries.is_empty() {
        eprintln!("usage: compile_time [--runs N] [--catalog C.xml] SCHEMA.xsd...");
        std::process::exit(2);
    }
    if let Some(cache) = cache {
        return cached(&cache, &entries, catalog.as_deref(), runs);
    }
    let mut load_times = Vec::with_capacity(runs);
    let mut compile_times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let model = match xsd_validator::schema::load(&entries, catalog.as_deref()) {
            Ok(model) => model,
            Err(errors) => {
                eprintln!(
                    "schema does not load: {} error(s): {}",
                    errors.len(),
                    errors[0]
                );
                std::process::exit(2);
            }
        };
        let loaded = Instant::now();
        if let Err(errors) = xsd_validator::SchemaSet::from_model(model) {
            eprintln!("schema does not compile: {} error(s)", errors.len());
            std::process::exit(2);
        }
        load_times.push(loaded - started);
        compile_times.push(loaded.elapsed());
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e3
    };
    let (load, compile) = (median(&mut load_times), median(&mut compile_times));
    println!(
        "load {load:.2} ms, compile {compile:.2} ms, total {:.2} ms (median of {runs})",
        load + compile
    );
}

fn cached(
    cache: &xsd_validator::cache::SchemaCache,
    entries: &[PathBuf],
    catalog: Option<&std::path::Path>,
    runs: usize,
) {
    match cache.compile(entries, catalog) {
        Ok((_, outcome)) => println!("first call: {outcome:?}"),
        Err(errors) => {
            eprintln!("schema does not compile: {} error(s)", errors.len());
            std::process::exit(2);
        }
    }
    let mut times = Vec::with_capacity(runs);
    // Kept until the end, so that freeing one set is not timed with reading the next.
    let mut sets = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        match cache.compile(entries, catalog) {
            Ok((set, xsd_validator::cache::CacheOutcome::Hit)) => sets.push(set),
            Ok((_, outcome)) => {
                eprintln!("not read from the cache: {outcome:?}");
                std::process::exit(1);
            }
            Err(_) => std::process::exit(2),
        }
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "read from cache {:.3} ms (median of {runs})",
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}
