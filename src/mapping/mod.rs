//! Mappings: how a message is turned into what a destination receives. Pure: no I/O while
//! mapping (mapping files and code lists are read when they compile), no async, no metrics.
//!
//! Two kinds exist: `identity` (the original bytes as `application/xml`) and declarative
//! mapping files, compiled into a [`Plan`] and evaluated in one streaming pass over element
//! events ([`MappingEvents`]). The file format is documented in `src/mapping/README.md`.
//!
//! Code map:
//! - `file`: serde mirror of a mapping file (TOML);
//! - [`plan`]: compiling it into an immutable [`Plan`] (all problems at once);
//! - [`path`]: the XPath subset; `expression`, `format`: value functions and conditions;
//! - `codelist`, [`genericode`]: code-list translation tables;
//! - [`evaluation`]: the streaming evaluator; `output`: JSON and XML writers;
//! - [`source`]: feeding a document through the workspace's XML reader;
//! - [`output_schema`]: the receiver's XSD schema an XML output is validated against;
//! - [`schema_check`]: checking a plan against the source schema ([`SchemaPaths`]);
//!   `schema_paths`: [`SchemaPaths`] over a compiled XSD schema set ([`SchemaSetPaths`]);
//! - [`golden`]: golden-case runner for `test-mappings`.

mod codelist;
pub mod evaluation;
mod expression;
mod file;
mod format;
pub mod genericode;
pub mod golden;
mod output;
pub mod output_schema;
pub mod path;
pub mod plan;
pub mod schema_check;
mod schema_paths;
pub mod source;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::Arc;

use xsd_validator::Violation;

use crate::config::{ConfigProblem, MappingConfig, MappingKind};

pub use evaluation::{Attributes, Evaluation, MappingEvents, NoAttributes, ReaderAttributes};
pub use golden::{run_golden_cases, CaseOutcome, CaseResult, Report};
pub use plan::{CompileError, CompileProblem, OutputFormat, Plan};
pub use schema_check::{Children, ContentKind, SchemaNode, SchemaPaths};
pub use schema_paths::SchemaSetPaths;

#[derive(Debug, Clone, Default)]
pub struct Mappings {
    mappings: Vec<MappingConfig>,
    /// Compiled declarative mappings by name.
    plans: Vec<(String, Arc<Plan>)>,
}

/// A rendered payload and its media type.
#[derive(Debug)]
pub struct Rendered<'a> {
    pub body: Cow<'a, [u8]>,
    pub content_type: &'static str,
}

/// Why a message could not be mapped. Messages never contain the message's data beyond
/// code-list codes (they end up in dead-letter reasons and logs).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MappingError {
    #[error("mapping {0:?} is not configured")]
    Unknown(String),
    #[error("the message is not well-formed ({rule}): {message}")]
    Source { rule: &'static str, message: String },
    #[error("the mapping is for root element {expected}, the message has {found}")]
    WrongRoot { expected: String, found: String },
    #[error("required field `{field}` has no value (from {path:?})")]
    MissingRequired { field: String, path: String },
    #[error("field `{field}`: the value is not {expected}")]
    InvalidValue { field: String, expected: String },
    #[error("field `{field}`: code {code:?} is not in code list {list:?}")]
    UnknownCode {
        field: String,
        list: String,
        code: String,
    },
    #[error("the message ended before its root element closed")]
    Incomplete,
    /// The output does not fit the receiver's schema (`[output] schema`). Positions and
    /// element paths are the output's. The display leaves the validator's messages out (they
    /// may quote values); [`MappingError::output_violations`] has them.
    #[error("the output is not valid against the receiver's schema: {}", ViolationSummary(.violations))]
    InvalidOutput { violations: Vec<Violation> },
}

impl MappingError {
    /// The receiver's schema's complaints about the output, for problem lists.
    pub fn output_violations(&self) -> &[Violation] {
        match self {
            MappingError::InvalidOutput { violations } => violations,
            _ => &[],
        }
    }
}

/// `rule at line:column in /path` for each violation, without the messages.
struct ViolationSummary<'a>(&'a [Violation]);

impl std::fmt::Display for ViolationSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, violation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "{} at {}:{}",
                violation.rule, violation.line, violation.column
            )?;
            if !violation.element_path.is_empty() {
                write!(f, " in {}", violation.element_path)?;
            }
        }
        Ok(())
    }
}

impl Mappings {
    pub fn new(mappings: Vec<MappingConfig>) -> Mappings {
        Mappings {
            mappings,
            plans: Vec::new(),
        }
    }

    /// Compiles every declarative mapping of the configuration; all problems at once.
    pub fn compile(configs: &[MappingConfig]) -> Result<Mappings, Vec<ConfigProblem>> {
        let mut mappings = Mappings::new(configs.to_vec());
        let mut problems = Vec::new();
        for config in configs {
            if let MappingKind::Declarative { file } = &config.kind {
                match Plan::load(file) {
                    Ok(plan) => mappings = mappings.with_plan(config.name.clone(), Arc::new(plan)),
                    Err(error) => {
                        let location = format!("mapping {:?} ({})", config.name, file.display());
                        if error.problems.is_empty() {
                            problems.push(ConfigProblem {
                                location: location.clone(),
                                message: error.to_string(),
                            });
                        }
                        for problem in &error.problems {
                            problems.push(ConfigProblem {
                                location: location.clone(),
                                message: problem.to_string(),
                            });
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(mappings)
        } else {
            Err(problems)
        }
    }

    /// Adds (or replaces) a compiled declarative mapping under `name`.
    pub fn with_plan(mut self, name: impl Into<String>, plan: Arc<Plan>) -> Mappings {
        let name = name.into();
        self.plans.retain(|(n, _)| *n != name);
        self.plans.push((name, plan));
        self
    }

    pub fn contains(&self, name: &str) -> bool {
        self.mappings.iter().any(|m| m.name == name) || self.plan(name).is_some()
    }

    /// The compiled declarative mapping called `name`.
    pub fn plan(&self, name: &str) -> Option<&Arc<Plan>> {
        self.plans.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }

    /// Renders `payload` for a destination; `None` means the original message.
    pub fn render<'a>(
        &self,
        mapping: Option<&str>,
        payload: &'a [u8],
    ) -> Result<Rendered<'a>, MappingError> {
        let kind = match mapping {
            None => &MappingKind::Identity,
            Some(name) => {
                if let Some(plan) = self.plan(name) {
                    return Ok(Rendered {
                        body: Cow::Owned(plan.map_document(payload)?),
                        content_type: plan.content_type(),
                    });
                }
                &self
                    .mappings
                    .iter()
                    .find(|m| m.name == name)
                    .ok_or_else(|| MappingError::Unknown(name.to_owned()))?
                    .kind
            }
        };
        match kind {
            MappingKind::Identity => Ok(Rendered {
                body: Cow::Borrowed(payload),
                content_type: "application/xml",
            }),
            // A declarative mapping without a compiled plan was never compiled: not configured.
            MappingKind::Declarative { .. } => Err(MappingError::Unknown(
                mapping.unwrap_or_default().to_owned(),
            )),
        }
    }
}
