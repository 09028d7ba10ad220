//! The compiled-schema cache gives the same results as compiling: every message of the XÖV
//! corpus (shared/xoev/MANIFEST.tsv) and the instance tests of a deterministic sample of W3C
//! test groups get the same outcome, violation for violation (rule, line, column, element
//! path, message), from a freshly compiled set and from one read back from the cache.
//!
//! `XSD_W3C_SAMPLE=n` (default 8) takes every n-th W3C group with a schema and instances.

#[allow(dead_code)]
mod w3c;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use xsd_validator::cache::{CacheOutcome, SchemaCache};
use xsd_validator::{Outcome, SchemaSet, ValidationOptions};

use w3c::manifest;
use w3c::suite::{Index, Kind, StatusFilter};

/// A fresh directory under the target's temporary directory.
fn cache_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("schema-cache-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Compiles `entries` fresh and through the cache (a miss that writes, unless `seen`
/// already holds the set, then a hit) and returns both sets; `None` if the set does not
/// compile (then the cache must give the same errors and store nothing).
fn fresh_and_cached(
    cache: &SchemaCache,
    entries: &[PathBuf],
    catalog: Option<&Path>,
    seen: &mut HashSet<Vec<PathBuf>>,
) -> Option<(SchemaSet, SchemaSet)> {
    let first_time = seen.insert(entries.to_vec());
    let fresh = SchemaSet::compile(entries, catalog);
    let first = cache.compile(entries, catalog);
    match (&fresh, &first) {
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "{entries:?}: compile errors differ through the cache");
            return None;
        }
        (Ok(_), Ok((_, CacheOutcome::Hit))) if !first_time => {}
        (Ok(_), Ok((_, CacheOutcome::Compiled { written, .. }))) if first_time => {
            assert!(written.is_ok(), "{entries:?}: {written:?}");
        }
        (Ok(_), Ok((_, other))) => {
            panic!("{entries:?}: first compile through the cache was {other:?}")
        }
        _ => panic!("{entries:?}: the cache changes whether the set compiles"),
    }
    let (cached, outcome) = cache
        .compile(entries, catalog)
        .unwrap_or_else(|e| panic!("{entries:?}: second compile failed: {e:?}"));
    assert!(
        matches!(outcome, CacheOutcome::Hit),
        "{entries:?}: second compile was {outcome:?}"
    );
    Some((fresh.ok()?, cached))
}

fn same_outcome(what: &str, a: &Outcome, b: &Outcome) -> Option<String> {
    if a.well_formed == b.well_formed && a.truncated == b.truncated && a.violations == b.violations
    {
        return None;
    }
    Some(format!(
        "{what}:\n  fresh:  {:?}\n  cached: {:?}",
        a.violations, b.violations
    ))
}

#[test]
fn xoev_corpus_same_outcomes_from_cache() {
    let Some(root) = w3c::shared::require("xoev", "xoev_corpus_same_outcomes_from_cache") else {
        return;
    };
    let text = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap();
    let entries = manifest::parse(&text, &root).unwrap_or_else(|e| panic!("{e}"));
    let cache = SchemaCache::new(cache_dir("xoev"));
    let mut sets = BTreeMap::new();
    let mut seen = HashSet::new();
    let options = ValidationOptions::default();
    let mut problems = Vec::new();
    let mut invalid = 0;
    for entry in &entries {
        let key = (entry.schema.clone(), entry.catalog.clone());
        let pair = sets.entry(key).or_insert_with(|| {
            fresh_and_cached(
                &cache,
                std::slice::from_ref(&entry.schema),
                entry.catalog.as_deref(),
                &mut seen,
            )
        });
        let Some((fresh, cached)) = pair else {
            panic!("{}: schema does not compile", entry.schema.display());
        };
        let input = std::fs::read(&entry.instance).unwrap();
        let a = fresh.validate(&input, &options);
        let b = cached.validate(&input, &options);
        invalid += usize::from(!a.is_valid());
        problems.extend(same_outcome(&entry.instance.display().to_string(), &a, &b));
    }
    eprintln!(
        "XÖV corpus through the cache: {} sets, {} messages ({invalid} invalid)",
        sets.len(),
        entries.len()
    );
    assert!(
        invalid > 0,
        "invalid messages (with violations) are compared"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn w3c_sample_same_outcomes_from_cache() {
    let Some(root) = w3c::shared::require("xsdtests", "w3c_sample_same_outcomes_from_cache") else {
        return;
    };
    let every: usize = std::env::var("XSD_W3C_SAMPLE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
        .max(1);
    let index = Index::load(&root, StatusFilter::Any).unwrap();
    let catalog = w3c::product::w3c_catalog_path();
    let cache = SchemaCache::new(cache_dir("w3c"));
    let options = ValidationOptions::default();
    let groups = index
        .groups
        .iter()
        .filter(|g| {
            !g.schema_documents.is_empty() && g.cases.iter().any(|c| c.kind == Kind::Instance)
        })
        .step_by(every);
    let (mut compared, mut sets, mut not_compiling) = (0, 0, 0);
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for group in groups {
        let Some((fresh, cached)) =
            fresh_and_cached(&cache, &group.schema_documents, Some(&catalog), &mut seen)
        else {
            not_compiling += 1;
            continue;
        };
        sets += 1;
        for case in group.cases.iter().filter(|c| c.kind == Kind::Instance) {
            let Some(Ok(input)) = case.files.first().map(std::fs::read) else {
                continue;
            };
            let a = fresh.validate(&input, &options);
            let b = cached.validate(&input, &options);
            compared += 1;
            problems.extend(same_outcome(&case.id, &a, &b));
        }
    }
    eprintln!(
        "W3C sample through the cache: {sets} sets ({not_compiling} more with the same compile \
         errors), {compared} instances"
    );
    assert!(compared > 100, "the sample compares instances");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
