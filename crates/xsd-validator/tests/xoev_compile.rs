//! Compiles every XÖV schema file (each as the entry of its own set) and the MANIFEST sets,
//! printing compile times per set (`cargo test -p xsd-validator --test xoev_compile -- --nocapture`).

// The shared-dir lookup (fails under CI=true when ../shared is missing).
#[allow(dead_code)]
mod w3c;

use std::path::{Path, PathBuf};
use std::time::Instant;

use xsd_validator::compile::SchemaSet;

fn xsd_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            xsd_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "xsd") {
            out.push(p);
        }
    }
}

fn compile_each(name: &str, files: &[PathBuf], catalog: Option<&Path>) -> usize {
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut slowest = (std::time::Duration::ZERO, PathBuf::new());
    for f in files {
        let t = Instant::now();
        if let Err(errors) = SchemaSet::compile(std::slice::from_ref(f), catalog) {
            failures.push(format!(
                "{}:\n  {}",
                f.display(),
                errors
                    .iter()
                    .take(5)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
        if t.elapsed() > slowest.0 {
            slowest = (t.elapsed(), f.clone());
        }
    }
    eprintln!(
        "{name}: {} files, each compiled as the entry of its own set, in {:?} (slowest {:?}: {})",
        files.len(),
        start.elapsed(),
        slowest.0,
        slowest
            .1
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    assert!(
        failures.is_empty(),
        "{name}: {} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    files.len()
}

#[test]
fn every_xoev_schema_file_compiles() {
    let Some(xoev) = w3c::shared::require("xoev", "every_xoev_schema_file_compiles") else {
        return;
    };
    let mut xbau = Vec::new();
    xsd_files(&xoev.join("xbau-2.6"), &mut xbau);
    let mut xdomea = Vec::new();
    xsd_files(&xoev.join("xdomea-3.0.0"), &mut xdomea);
    let mut xjustiz = Vec::new();
    xsd_files(&xoev.join("xjustiz-3.6.2"), &mut xjustiz);
    let mut xwasser = Vec::new();
    xsd_files(&xoev.join("xwasser-1.0.0/schemas"), &mut xwasser);
    let catalog = xoev.join("xwasser-1.0.0/catalog.xml");
    assert_eq!(compile_each("XBau 2.6", &xbau, None), 45);
    assert_eq!(compile_each("xdomea", &xdomea, None), 54);
    assert_eq!(compile_each("XJustiz 3.6.2", &xjustiz, None), 74);
    assert_eq!(compile_each("XWasser 1.0", &xwasser, Some(&catalog)), 10);
}

#[test]
fn manifest_sets_compile() {
    let Some(xoev) = w3c::shared::require("xoev", "manifest_sets_compile") else {
        return;
    };
    let manifest = match std::fs::read_to_string(xoev.join("MANIFEST.tsv")) {
        Ok(m) => m,
        Err(e) => panic!("MANIFEST.tsv: {e}"),
    };
    let mut seen = std::collections::HashSet::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(schema), catalog) = (cols.first(), cols.get(3).filter(|c| !c.is_empty())) else {
            continue;
        };
        if !seen.insert((schema.to_string(), catalog.map(|c| c.to_string()))) {
            continue;
        }
        let catalog = catalog.map(|c| xoev.join(c));
        let start = Instant::now();
        match SchemaSet::compile(&[xoev.join(schema)], catalog.as_deref()) {
            Ok(set) => eprintln!(
                "{schema}: {} types, {} elements, compiled in {:?}",
                set.model().types.len(),
                set.model().elements.len(),
                start.elapsed()
            ),
            Err(errors) => panic!(
                "{schema}: {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
    assert!(seen.len() >= 5, "MANIFEST.tsv names too few schemas");
}

#[test]
fn manifest_messages_get_the_reference_verdict() {
    use xsd_validator::ValidationOptions;
    let Some(xoev) = w3c::shared::require("xoev", "manifest_messages_get_the_reference_verdict")
    else {
        return;
    };
    let manifest = match std::fs::read_to_string(xoev.join("MANIFEST.tsv")) {
        Ok(m) => m,
        Err(e) => panic!("MANIFEST.tsv: {e}"),
    };
    let mut sets: std::collections::HashMap<(String, String), SchemaSet> =
        std::collections::HashMap::new();
    let mut disagreements = Vec::new();
    let mut count = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [schema, instance, expected, rest @ ..] = cols.as_slice() else {
            continue;
        };
        let catalog = rest.first().copied().unwrap_or("");
        let key = (schema.to_string(), catalog.to_string());
        if !sets.contains_key(&key) {
            let cat = (!catalog.is_empty()).then(|| xoev.join(catalog));
            match SchemaSet::compile(&[xoev.join(schema)], cat.as_deref()) {
                Ok(s) => {
                    sets.insert(key.clone(), s);
                }
                Err(e) => panic!("{schema}: {e:?}"),
            }
        }
        let Some(set) = sets.get(&key) else { continue };
        let bytes = match std::fs::read(xoev.join(instance)) {
            Ok(b) => b,
            Err(e) => panic!("{instance}: {e}"),
        };
        let outcome = set.validate(&bytes, &ValidationOptions::default());
        count += 1;
        let verdict = if outcome.is_valid() {
            "valid"
        } else {
            "invalid"
        };
        eprintln!(
            "{verdict:7} (xmllint: {expected:7}) {instance}{}",
            outcome
                .violations
                .iter()
                .take(3)
                .map(|v| format!("\n    {v}"))
                .collect::<String>()
        );
        if verdict != *expected {
            disagreements.push(format!("{instance}: {verdict}, xmllint says {expected}"));
        }
    }
    assert_eq!(count, 33, "MANIFEST.tsv should list 33 messages");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
