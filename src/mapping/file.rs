//! The serde mirror of a mapping file (TOML). Nothing here is checked beyond TOML syntax and
//! known keys; [`super::plan`] turns it into a validated, immutable plan.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingDocument {
    pub source: SourceSection,
    /// Prefixes used in paths (`xdomea = "urn:xoev-de:xdomea:schema:3.0.0"`).
    #[serde(default)]
    pub namespaces: BTreeMap<String, String>,
    pub output: OutputSection,
    #[serde(default)]
    pub codelists: BTreeMap<String, CodeListSection>,
    #[serde(default, rename = "field")]
    pub fields: Vec<FieldSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    pub root: RootSection,
    /// The standard's name and version label, e.g. `xdomea` / `3.0.0`; informative, and what
    /// `check` compares against the schema set a route names.
    pub standard: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootSection {
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// `json` or `xml`.
    pub format: String,
    /// XML only: the root element as `prefix:local` or `local`.
    pub root: Option<String>,
    /// XML only: prefixes declared on the root (`"" = "urn:..."` is the default namespace).
    #[serde(default)]
    pub namespaces: BTreeMap<String, String>,
    /// Spaces per level; 0 writes everything on one line. Default 2.
    pub indent: Option<usize>,
    /// XML only: the receiver's XSD schema set (entry files, relative to the mapping file);
    /// every output is validated against it.
    pub schema: Option<OneOrMany>,
    /// An OASIS XML catalog for the output schema's imports (relative to the mapping file).
    pub catalog: Option<PathBuf>,
}

/// `schema = "a.xsd"` or `schema = ["a.xsd", "b.xsd"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<PathBuf> {
        match self {
            OneOrMany::One(path) => vec![path],
            OneOrMany::Many(paths) => paths,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeListSection {
    /// A genericode file, relative to the mapping file.
    pub genericode: Option<PathBuf>,
    pub key_column: Option<String>,
    pub value_column: Option<String>,
    /// An inline table `code = "value"`.
    pub values: Option<BTreeMap<String, String>>,
    /// `error` (default), `keep` (pass the code through) or `empty` (treat as missing).
    pub on_unknown: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CodeListReference {
    Named(String),
    Inline(CodeListSection),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSection {
    pub name: String,
    pub path: Option<String>,
    /// A constant string.
    pub value: Option<String>,
    /// An expression: functions over paths and `'literals'`.
    pub expr: Option<String>,
    pub choose: Option<Vec<ChoiceSection>>,
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(rename = "type")]
    pub value_type: Option<String>,
    pub codelist: Option<CodeListReference>,
    /// A repeated group: one array item / element per match.
    pub for_each: Option<String>,
    #[serde(default, rename = "field")]
    pub fields: Vec<FieldSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSection {
    pub when: Option<String>,
    pub then: Option<String>,
    pub otherwise: Option<String>,
}
