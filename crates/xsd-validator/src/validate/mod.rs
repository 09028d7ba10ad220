//! Streaming validation of instance documents against a compiled [`SchemaSet`].
//!
//! Code map:
//! - this file: the result types ([`Outcome`], [`Violation`]), [`ValidationOptions`] and the
//!   push interface ([`Sink`], [`ElementEvent`], [`EndEvent`]).
//! - `run`: the validator: one pass over [`crate::reader`] events with a stack of per-element
//!   frames.
//!
//! **Memory invariant:** state grows with nesting depth (one frame per open element), plus the
//! IDs and IDREFs of the document (cvc-id needs them all). Buffers (text of simple content,
//! per-element attribute bookkeeping) are reused across elements: no allocation per event on
//! the common path of a valid document.
//!
//! **API boundary:** validation never fails and never panics: a broken document is an
//! [`Outcome`] with `well_formed == false` whose last violation is the XML error. Only reading
//! a document from an `io::Read` can fail ([`crate::reader::ReadError`]).

mod run;
#[cfg(test)]
mod tests;

use crate::compile::{AttributeDeclaration, ElementDeclaration, SchemaSet, TypeDefinition};
use crate::datatypes::Value;
use crate::reader::{self, Attribute, QName};

/// How to validate.
#[derive(Debug, Clone)]
pub struct ValidationOptions {
    pub limits: reader::Limits,
    /// Stop collecting after this many violations (the document is still read to its end
    /// for well-formedness unless `0`); [`Outcome::truncated`] tells when more were found.
    pub max_violations: usize,
    /// Full cvc-id checking (XSD 1.0 3.3.4): every IDREF must match an ID, and values of
    /// elements whose type is xs:ID count as IDs. Off by default to give libxml2's verdicts:
    /// xmllint only checks that ID *attributes* are unique, and real XÖV test messages
    /// (XWasser) rely on unresolved IDREFs being accepted.
    pub full_id_checks: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            limits: reader::Limits::default(),
            max_violations: 100,
            full_id_checks: false,
        }
    }
}

/// The result of validating one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// False when the document is not well-formed (or broke a reader limit); the last
    /// violation is then the XML error, and validation stopped there.
    pub well_formed: bool,
    pub violations: Vec<Violation>,
    /// More violations were found than `max_violations`.
    pub truncated: bool,
}

impl Outcome {
    /// Well-formed and schema-valid.
    pub fn is_valid(&self) -> bool {
        self.well_formed && self.violations.is_empty()
    }
}

/// One problem with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken: a validation rule (`cvc-complex-type.2.4.a`, `cvc-id.2`, ...) or the
    /// reader's rule for XML errors (`xml-wf.mismatched-end-tag`, `xml-limit.depth`, ...).
    pub rule: &'static str,
    pub line: u32,
    pub column: u32,
    /// `/a/b[2]/c`: the element where the problem is (empty outside the root).
    pub element_path: String,
    /// What was found and what was expected.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.rule)?;
        if !self.element_path.is_empty() {
            write!(f, " at {}", self.element_path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A start tag as the validator saw it.
pub struct ElementEvent<'a> {
    pub(crate) name: QName<'a>,
    pub(crate) attributes: &'a [Attribute<'a>],
    pub(crate) attribute_declarations: &'a [Option<AttributeDeclaration<'a>>],
    pub(crate) declaration: Option<ElementDeclaration<'a>>,
    pub(crate) type_definition: Option<TypeDefinition<'a>>,
    pub(crate) depth: usize,
    pub(crate) nil: bool,
}

impl<'a> ElementEvent<'a> {
    /// The element's expanded name (and prefix as written).
    pub fn name(&self) -> QName<'a> {
        self.name
    }

    /// Attributes as written (namespace declarations excluded), values CDATA-normalized.
    pub fn attributes(&self) -> &'a [Attribute<'a>] {
        self.attributes
    }

    /// The declaration of the `i`-th attribute, when it has one (wildcard-matched attributes
    /// with `skip`, and `xsi:` attributes, have none).
    pub fn attribute_declaration(&self, i: usize) -> Option<AttributeDeclaration<'a>> {
        self.attribute_declarations.get(i).copied().flatten()
    }

    /// The governing element declaration; `None` for elements validated laxly or skipped.
    pub fn declaration(&self) -> Option<ElementDeclaration<'a>> {
        self.declaration
    }

    /// The governing type (the `xsi:type` one when given and valid).
    pub fn type_definition(&self) -> Option<TypeDefinition<'a>> {
        self.type_definition
    }

    /// 1 for the root.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// `xsi:nil="true"` on a nillable element.
    pub fn is_nil(&self) -> bool {
        self.nil
    }
}

/// An end tag as the validator saw it.
pub struct EndEvent<'a> {
    pub(crate) name: QName<'a>,
    pub(crate) value: Option<&'a Value>,
    pub(crate) depth: usize,
}

impl<'a> EndEvent<'a> {
    pub fn name(&self) -> QName<'a> {
        self.name
    }

    /// The typed value of simple content (after whitespace normalization, or the default
    /// value of an empty element), when the content is simple and valid.
    pub fn value(&self) -> Option<&'a Value> {
        self.value
    }

    pub fn depth(&self) -> usize {
        self.depth
    }
}

/// Receives the validated events of a document in the same pass (envelope extraction,
/// streaming mappers). Events arrive in document order; text arrives between the
/// `start_element` and `end_element` of the element it belongs to (for elements whose
/// content is skipped, `xs:any processContents="skip"`, no events arrive below them).
pub trait Sink {
    fn start_element(&mut self, element: &ElementEvent<'_>) {
        let _ = element;
    }

    /// Character data of the current element, in one or more pieces.
    fn text(&mut self, text: &str) {
        let _ = text;
    }

    fn end_element(&mut self, element: &EndEvent<'_>) {
        let _ = element;
    }

    /// Whether the sink uses [`EndEvent::value`]; typed values are only built when it does.
    fn wants_values(&self) -> bool {
        true
    }

    /// Whether the sink is told about elements and text at all; when not, no event is built
    /// (plain validation).
    fn wants_events(&self) -> bool {
        true
    }
}

/// The sink of [`SchemaSet::validate`]: ignores everything, wants no values.
struct NoSink;

impl Sink for NoSink {
    fn wants_values(&self) -> bool {
        false
    }

    fn wants_events(&self) -> bool {
        false
    }
}

impl SchemaSet {
    /// Validates one document in memory.
    pub fn validate(&self, input: &[u8], options: &ValidationOptions) -> Outcome {
        run::validate(self, input, options, &mut NoSink)
    }

    /// Validates one document, pushing its events to `sink` as they are validated.
    pub fn validate_with_sink(
        &self,
        input: &[u8],
        options: &ValidationOptions,
        sink: &mut dyn Sink,
    ) -> Outcome {
        run::validate(self, input, options, sink)
    }

    /// Validates one document read from `input`, with memory bounded by nesting depth and the
    /// largest token rather than the document's size (the input is read in windows of 64 KiB;
    /// it needs no `BufReader`). Same outcome as [`validate`](Self::validate) on the whole
    /// document. An error only when reading fails: a document that is not well-formed is an
    /// [`Outcome`].
    pub fn validate_read(
        &self,
        input: &mut dyn std::io::Read,
        options: &ValidationOptions,
    ) -> Result<Outcome, reader::ReadError> {
        let window = reader::DEFAULT_WINDOW_BYTES;
        run::validate_read(self, input, options, &mut NoSink, window)
    }

    /// [`validate_read`](Self::validate_read), pushing the events to `sink` as they are
    /// validated.
    pub fn validate_read_with_sink(
        &self,
        input: &mut dyn std::io::Read,
        options: &ValidationOptions,
        sink: &mut dyn Sink,
    ) -> Result<Outcome, reader::ReadError> {
        run::validate_read(self, input, options, sink, reader::DEFAULT_WINDOW_BYTES)
    }
}
