//! Tests of the whole loading pipeline: in-memory constructs and the real XÖV corpus.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::*;

mod corpus {
    use super::*;

    fn shared() -> Option<PathBuf> {
        let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
        if p.join("xoev").is_dir() {
            return Some(p);
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the shared corpus is missing at {}",
            p.display()
        );
        eprintln!("skipping: shared corpus not found at {}", p.display());
        None
    }

    fn xsd_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
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

    /// Loads every file of a set as its own entry; returns how many loaded.
    fn load_each(name: &str, files: &[PathBuf], catalog: Option<&Catalog>) -> usize {
        let start = Instant::now();
        let mut failures = Vec::new();
        for f in files {
            if let Err(errors) = load_with_catalog(std::slice::from_ref(f), catalog) {
                failures.push(format!("{}:\n  {}", f.display(), errors.iter().take(5).map(ToString::to_string).collect::<Vec<_>>().join("\n  ")));
            }
        }
        eprintln!("{name}: {} files, each loaded as the entry, in {:?}", files.len(), start.elapsed());
        assert!(failures.is_empty(), "{name}: {} failed:\n{}", failures.len(), failures.join("\n"));
        files.len()
    }

    #[test]
    fn every_xoev_schema_file_loads() {
        let Some(shared) = shared() else { return };
        let xoev = shared.join("xoev");
        let mut xbau = Vec::new();
        xsd_files(&xoev.join("xbau-2.6"), &mut xbau);
        let mut xdomea = Vec::new();
        xsd_files(&xoev.join("xdomea-3.0.0"), &mut xdomea);
        let mut xjustiz = Vec::new();
        xsd_files(&xoev.join("xjustiz-3.6.2"), &mut xjustiz);
        let mut xwasser = Vec::new();
        xsd_files(&xoev.join("xwasser-1.0.0/schemas"), &mut xwasser);
        let catalog = match Catalog::load(&xoev.join("xwasser-1.0.0/catalog.xml")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(load_each("XBau 2.6", &xbau, None), 45);
        assert_eq!(load_each("xdomea", &xdomea, None), 54);
        assert_eq!(load_each("XJustiz 3.6.2", &xjustiz, None), 74);
        assert_eq!(load_each("XWasser 1.0", &xwasser, Some(&catalog)), 10);
    }

    #[test]
    fn manifest_schemas_load_and_all_of_xjustiz_is_fast() {
        let Some(shared) = shared() else { return };
        let xoev = shared.join("xoev");
        let manifest = match std::fs::read_to_string(xoev.join("MANIFEST.tsv")) {
            Ok(m) => m,
            Err(e) => panic!("MANIFEST.tsv: {e}"),
        };
        let mut seen = std::collections::HashSet::new();
        for line in manifest.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(schema), catalog) = (cols.first(), cols.get(3).filter(|c| !c.is_empty())) else { continue };
            if !seen.insert((schema.to_string(), catalog.map(|c| c.to_string()))) {
                continue;
            }
            let start = Instant::now();
            let catalog = catalog.map(|c| xoev.join(c));
            let result = load(&[xoev.join(schema)], catalog.as_deref());
            match result {
                Ok(m) => eprintln!(
                    "{schema}: {} documents, {} types, {} elements in {:?}",
                    m.documents.len(),
                    m.types.len(),
                    m.elements.len(),
                    start.elapsed()
                ),
                Err(errors) => panic!("{schema}: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
            }
        }
        assert!(seen.len() >= 5, "MANIFEST.tsv names too few schemas: {}", seen.len());

        // All of XJustiz as one schema set.
        let mut xjustiz = Vec::new();
        xsd_files(&xoev.join("xjustiz-3.6.2"), &mut xjustiz);
        let start = Instant::now();
        match load(&xjustiz, None) {
            Ok(m) => eprintln!(
                "XJustiz 3.6.2 as one set: {} documents, {} types, {} elements in {:?}",
                m.documents.len(),
                m.types.len(),
                m.elements.len(),
                start.elapsed()
            ),
            Err(errors) => panic!("{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
        }
    }
}
