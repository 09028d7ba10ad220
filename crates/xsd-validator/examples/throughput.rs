//! Validation throughput, in process, for profiling and instruction counts.
//!
//! `cargo run --release -p xsd-validator --example throughput -- SCHEMA.xsd DOCUMENT.xml [ITERATIONS] [reader|validate|both|stream]`
//! validates a document (for example one of the issue-3 corpus in `target/bench-corpus`)
//! `ITERATIONS` times (default 20).
//!
//! `cargo run --release -p xsd-validator --example throughput -- [MEGABYTES] [ITERATIONS]`
//! builds an XÖV-shaped document instead: the xdomea 3.0.0 Anbieteverzeichnis sample with its
//! `Schriftgutobjekt` repeated to the requested size (needs ../shared/xoev next to the
//! repository).

use std::path::PathBuf;
use std::time::Instant;

use xsd_validator::{SchemaSet, ValidationOptions};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let first_is_schema = args.first().is_some_and(|a| a.ends_with(".xsd"));
    let (set, doc, iterations, mode) = if first_is_schema {
        let schema = PathBuf::from(&args[0]);
        let document = args.get(1).ok_or("missing DOCUMENT argument")?;
        let iterations: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
        let mode = args.get(3).cloned().unwrap_or_else(|| "both".into());
        let started = Instant::now();
        let set = SchemaSet::compile(&[schema], None).map_err(|e| format!("{e:?}"))?;
        println!("compiled in {:?}", started.elapsed());
        let doc = std::fs::read(document).map_err(|e| format!("{document}: {e}"))?;
        (set, doc, iterations, mode)
    } else {
        let megabytes: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
        let iterations: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
        let (set, doc) = xdomea_document(megabytes)?;
        (set, doc.into_bytes(), iterations, "both".to_owned())
    };

    let options = ValidationOptions::default();
    let outcome = set.validate(&doc, &options);
    if !outcome.is_valid() {
        return Err(format!(
            "document is not valid: {:?}",
            outcome.violations.first()
        ));
    }
    let bytes = (doc.len() * iterations) as f64;
    if mode != "reader" && mode != "stream" {
        let started = Instant::now();
        for _ in 0..iterations {
            let outcome = set.validate(&doc, &options);
            std::hint::black_box(outcome);
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{:.1} MB document, {iterations} validations: {:.1} MB/s",
            doc.len() as f64 / 1e6,
            bytes / seconds / 1e6
        );
    }
    if mode == "stream" {
        // Validation through `validate_read` (the document read in 64 KiB windows, as the
        // CLI reads files), for the cost of streaming.
        let started = Instant::now();
        for _ in 0..iterations {
            let outcome = set.validate_read(&mut doc.as_slice(), &options);
            std::hint::black_box(outcome.map_err(|e| e.to_string())?);
        }
        println!(
            "streamed: {:.1} MB/s",
            bytes / started.elapsed().as_secs_f64() / 1e6
        );
        return Ok(());
    }
    if mode != "validate" {
        // The reader alone (well-formedness only), for comparison.
        let started = Instant::now();
        for _ in 0..iterations {
            let mut reader = xsd_validator::reader::Reader::from_slice(&doc, options.limits);
            loop {
                match reader.next_event() {
                    Ok(xsd_validator::reader::Event::Eof) | Err(_) => break,
                    Ok(event) => {
                        std::hint::black_box(&event);
                    }
                }
            }
        }
        println!(
            "reader alone: {:.1} MB/s",
            bytes / started.elapsed().as_secs_f64() / 1e6
        );
    }
    Ok(())
}

fn xdomea_document(megabytes: usize) -> Result<(SchemaSet, String), String> {
    let xdomea = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/xoev"))
        .join("xdomea-3.0.0/message_generation");
    let schema =
        xdomea.join("schemes/xdomea_3.0.0/xdomea-Nachrichten-AussonderungDurchfuehren.xsd");
    let sample = xdomea.join("pattern/xdomea_3.0.0/xx_Aussonderung.Anbieteverzeichnis.0501.xml");

    let started = Instant::now();
    let set = SchemaSet::compile(&[schema], None).map_err(|e| format!("{e:?}"))?;
    println!("compiled in {:?}", started.elapsed());

    let text = std::fs::read_to_string(&sample).map_err(|e| e.to_string())?;
    let open = "<xdomea:Schriftgutobjekt>";
    let close = "</xdomea:Schriftgutobjekt>";
    let (start, end) = match (text.find(open), text.rfind(close)) {
        (Some(s), Some(e)) => (s, e + close.len()),
        _ => return Err("sample has no Schriftgutobjekt".into()),
    };
    let (head, object, tail) = (&text[..start], &text[start..end], &text[end..]);
    let mut doc = String::with_capacity(megabytes << 20);
    doc.push_str(head);
    while doc.len() < megabytes << 20 {
        doc.push_str(object);
        doc.push('\n');
    }
    doc.push_str(tail);
    Ok((set, doc))
}
