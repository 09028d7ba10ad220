//! The four XÖV standards under test, their schema files and message roots.

use std::path::{Path, PathBuf};

use xsd_validator::SchemaSet;

/// One standard: where its schema files are, and the catalog xmllint and we resolve through.
pub struct Standard {
    /// Short id used in case ids (`xbau`, `xdomea`, `xjustiz`, `xwasser`).
    pub id: &'static str,
    pub dir: PathBuf,
    pub catalog: Option<PathBuf>,
    /// Schema files of the CI subset (file names in `dir`).
    pub subset: &'static [&'static str],
}

pub fn standards(xoev: &Path) -> Vec<Standard> {
    vec![
        Standard {
            id: "xbau",
            dir: xoev.join("xbau-2.6/artifacts/xbau/2.6/xsd/xsd_dev"),
            catalog: None,
            subset: &["xbau-nachrichten-baugenehmigung.xsd"],
        },
        Standard {
            id: "xdomea",
            dir: xoev.join("xdomea-3.0.0/message_generation/schemes/xdomea_3.0.0"),
            catalog: None,
            subset: &["xdomea-Nachrichten-AbgabeDurchfuehren.xsd"],
        },
        Standard {
            id: "xjustiz",
            dir: xoev.join("xjustiz-3.6.2/XJustiz 3.6.2 XSD"),
            catalog: None,
            subset: &["xjustiz_0500_straf_3_6.xsd"],
        },
        Standard {
            id: "xwasser",
            dir: xoev.join("xwasser-1.0.0/schemas/V1_0_0"),
            catalog: Some(xoev.join("xwasser-1.0.0/catalog.xml")),
            subset: &["xwasser-weiterleitungsnachrichten.xsd"],
        },
    ]
}

/// The `.xsd` files directly in `dir`, sorted.
pub fn schema_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "xsd"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A message root: a global element whose name ends in a message number (`.0200`), declared
/// in the entry document itself (so each root is exercised through one schema file).
fn is_message_name(local: &str) -> bool {
    local
        .rsplit_once('.')
        .is_some_and(|(_, n)| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The message roots declared in `entry`, sorted, as (namespace, local name).
pub fn message_roots(set: &SchemaSet, entry: &Path) -> Vec<(Option<String>, String)> {
    let model = set.model();
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let entry = canonical(entry);
    let entry_doc = model
        .documents
        .iter()
        .position(|d| canonical(&d.path) == entry);
    let mut roots: Vec<(Option<String>, String)> = model
        .global_elements
        .iter()
        .filter(|&(_, local, id)| {
            is_message_name(local)
                && model
                    .element_decl(id)
                    .is_some_and(|d| Some(d.location.document.index()) == entry_doc)
        })
        .map(|(ns, local, _)| {
            (
                model.namespaces.uri(ns).map(str::to_owned),
                local.to_owned(),
            )
        })
        .collect();
    roots.sort();
    roots
}
