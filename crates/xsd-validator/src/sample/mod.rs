//! Valid XML instances generated from a schema: test messages for vendors, and the seed
//! corpus of our differential tests against xmllint (generated instances are mutated and both
//! validators' verdicts compared).
//!
//! Code map:
//! - `instance`: walks the component model (particles, substitution groups, derived types,
//!   attribute uses, wildcards) and builds the document tree.
//! - `simple_value`: builds [`crate::datatypes::SimpleType`]s from the model's raw facets and
//!   produces literals for them (enumerations, bounds, digits, lengths, lists, unions).
//! - `keys`: identity constraints (XPath subset) evaluated on the generated tree.
//! - `pattern_text`: strings that match an XSD pattern, by walking its regex HIR.
//! - `document`: the tree, namespace prefixes and serialization.
//! - `rng`: SplitMix64, so a seed gives the same document everywhere.
//!
//! **Architecture Invariant:** every simple value written is first accepted by
//! `SimpleType::validate` for its type; a type for which no literal is found within a few
//! attempts is a [`SampleError`] naming the type, never a guessed value.
//!
//! **API boundary:** [`generate`] returns a well-formed document or an error; no model makes it
//! panic or recurse without bound ([`SampleOptions::max_depth`], [`SampleOptions::max_elements`]).
//!
//! Identity constraints: key fields are forced present (selector paths without `.//`), key
//! and unique values made distinct, keyref values copied from the referenced key.
//!
//! Not covered (the instance can still be invalid): key fields reached only through `.//`
//! selectors, ENTITY/ENTITIES (need a DTD), and simple types whose facets leave no value the
//! generator can find.

mod document;
mod instance;
mod keys;
mod pattern_text;
mod rng;
mod simple_value;

use crate::schema::SchemaModel;

/// Which optional particles and attributes appear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optionality {
    /// Only what minOccurs / use="required" demand.
    Minimal,
    /// Every optional element and attribute (repeatable ones `max_repeat` times).
    All,
    /// Each optional particle and attribute with this probability (0.0..=1.0).
    Random(f64),
}

/// Which branch of an `xs:choice` (and which substitution group member or derived type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceStrategy {
    /// The first branch (the head of a substitution group when it is not abstract).
    First,
    /// A branch chosen by the seeded generator.
    Random,
}

/// Options of [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// Seed of the generator: the same seed, schema and options give the same document.
    pub seed: u64,
    pub optional_elements: Optionality,
    /// Upper limit on repetitions of a particle with maxOccurs > 1 (minOccurs wins if larger).
    pub max_repeat: u32,
    /// Nesting depth from which only required content is generated, choosing the branches
    /// that end soonest (guards recursive content models).
    pub max_depth: usize,
    pub choice: ChoiceStrategy,
    /// Element count from which only required content is generated (guards the size of
    /// `Optionality::All` documents over large schemas).
    pub max_elements: usize,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            seed: 0,
            optional_elements: Optionality::Minimal,
            max_repeat: 2,
            max_depth: 12,
            choice: ChoiceStrategy::First,
            max_elements: 5_000,
        }
    }
}

/// Why no instance could be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// The requested root is not a global element declaration.
    #[error("no global element declaration {name}")]
    UnknownRoot { name: String },
    /// No literal valid for a simple type was found.
    #[error("no valid value for {type_name}: {reason}")]
    Unsatisfiable { type_name: String, reason: String },
    /// An abstract element or type with nothing instantiable in its place.
    #[error("{what} is abstract and has no usable substitute")]
    Abstract { what: String },
    /// A required strict wildcard with no element declaration in an allowed namespace.
    #[error("required wildcard at {location}: no global element in an allowed namespace")]
    Wildcard { location: String },
    /// Required content nests deeper than the hard limit (an endless recursion).
    #[error("required content nests deeper than {limit} elements at {path}")]
    TooDeep { limit: usize, path: String },
}

/// Generates a document whose root is the global element `{root.0}root.1`, valid against
/// `model` (see the module documentation for what is not covered).
pub fn generate(
    model: &SchemaModel,
    root: (Option<&str>, &str),
    options: &SampleOptions,
) -> Result<String, SampleError> {
    instance::generate(model, root, options)
}

#[cfg(test)]
mod tests;
