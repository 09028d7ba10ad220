//! Identity constraints (`xs:unique`, `xs:key`, `xs:keyref`; Structures §3.11), checked
//! while the validator streams through the instance.
//!
//! Code map:
//! - [`xpath`]: the restricted XPath subset of selectors and fields.
//! - `tracker`: the streaming matcher, target rows and key tables ([`IdentityTracker`]).
//! - `table`: node tables of key/unique constraints and how they move up the tree.
//!
//! **API boundary:** [`IdentityConstraintSet::compile`] turns every identity constraint of a
//! [`SchemaModel`] into matchers once per schema set (errors: `c-selector-xpath`,
//! `c-fields-xpaths`, `c-props-correct.2`). The validator creates one [`IdentityTracker`]
//! per document and reports every element to it:
//!
//! 1. [`IdentityTracker::start_element`] after the element's declaration is known, with the
//!    ids of the constraints that declaration carries ([`ElementDecl::identity_constraints`])
//!    and the element's attributes (an [`AttributeSource`], asked for a typed value only for
//!    attributes that a field selects).
//! 2. [`IdentityTracker::wants_element_value`]: true when a field selects this element, so
//!    the validator must keep the typed value of its simple content.
//! 3. [`IdentityTracker::end_element`] with that value ([`ElementValue`]).
//!
//! Violations go into a caller-provided `Vec`; the validator adds position and path.
//!
//! **Architecture invariant:** while no constraint scope is open, start and end are O(1)
//! and allocate nothing. Memory is bounded by the open elements inside scopes (a few match
//! states each) plus the rows of the tables of open scopes; key/unique rows are kept past
//! their scope only while a keyref scope that refers to them is still open.
//!
//! ```
//! use xsd_validator::datatypes::Value;
//! use xsd_validator::identity::{
//!     ElementValue, IdentityConstraintSet, IdentityTracker, NoAttributes,
//! };
//! use xsd_validator::schema;
//!
//! let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
//!   <xs:element name="list">
//!     <xs:complexType><xs:sequence>
//!       <xs:element name="item" maxOccurs="unbounded">
//!         <xs:complexType><xs:attribute name="id" type="xs:string"/></xs:complexType>
//!       </xs:element>
//!     </xs:sequence></xs:complexType>
//!     <xs:key name="itemKey"><xs:selector xpath="item"/><xs:field xpath="@id"/></xs:key>
//!   </xs:element>
//! </xs:schema>"#;
//! let model = schema::load_from_memory(&["a.xsd"], &[("a.xsd", xsd)], None).unwrap();
//! let set = IdentityConstraintSet::compile(&model).unwrap();
//! let list = model.element(None, "list").unwrap();
//! let list_constraints = &model.elements[list.index()].identity_constraints;
//!
//! let mut tracker = IdentityTracker::new(&set);
//! let mut violations = Vec::new();
//! let id = |s: &str| [(None, "id", Some(Value::String(s.into())))];
//! tracker.start_element(None, "list", list_constraints, &NoAttributes, &mut violations);
//! for key in ["A1", "A1"] {
//!     tracker.start_element(None, "item", &[], &id(key)[..], &mut violations);
//!     tracker.end_element(ElementValue::NotSimple, &mut violations);
//! }
//! tracker.end_element(ElementValue::NotSimple, &mut violations);
//! assert_eq!(violations.len(), 1);
//! assert_eq!(violations[0].rule, "cvc-identity-constraint.4.2.2");
//! assert_eq!(violations[0].message, "duplicate key value ('A1') for key 'itemKey'");
//! ```
//!
//! [`SchemaModel`]: crate::schema::SchemaModel
//! [`ElementDecl::identity_constraints`]: crate::schema::ElementDecl::identity_constraints

mod table;
mod tracker;
pub mod xpath;

use std::path::PathBuf;

use crate::datatypes::Value;
use crate::schema::{
    IdentityConstraintId, IdentityConstraintKind, NamespaceScope, SchemaModel, XPathExpr,
};

pub use tracker::IdentityTracker;
use xpath::{XPath, XPathKind};

/// A schema-level problem with an identity constraint: an XPath outside the subset, or a
/// keyref whose field count differs from the referenced key's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {rule}: {message}", document.display())]
#[non_exhaustive]
pub struct IdentityError {
    /// `c-selector-xpath`, `c-fields-xpaths` or `c-props-correct.2`.
    pub rule: &'static str,
    pub message: String,
    pub document: PathBuf,
    pub line: u32,
    pub column: u32,
}

/// An instance that breaks an identity constraint. Position and element path are the
/// validator's: the violation belongs to the element being started or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdentityViolation {
    /// `cvc-identity-constraint.3`, `.4.1`, `.4.2.1`, `.4.2.2`, `.4.2.3` or `.4.3`.
    pub rule: &'static str,
    /// Names the constraint and the key values.
    pub message: String,
    pub constraint: IdentityConstraintId,
}

/// The typed value of an element that a field selects, given at its end.
#[derive(Debug, Clone, Copy)]
pub enum ElementValue<'a> {
    /// The validated value of a simple type or of simple content.
    Simple(&'a Value),
    /// `xsi:nil="true"`: the element has no value.
    Nilled,
    /// Element-only, mixed or empty complex content, or not assessed (a `skip` wildcard,
    /// `lax` without a declaration): no simple type, an error for a field.
    NotSimple,
    /// No value: the content was invalid (already reported by the validator), or it was
    /// not computed because [`IdentityTracker::wants_element_value`] was false.
    Unavailable,
}

/// The typed value of an attribute that a field selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// Validated against its declared type (`xsi:` attributes by their built-in types).
    Typed(Value),
    /// Not assessed: no declaration (a `skip` wildcard, or `lax` without a global
    /// declaration). A field must select a node with a simple type, so this is an error.
    Untyped,
    /// Invalid for its type; already reported by the validator, so the row is dropped.
    Invalid,
}

/// The attributes of a start tag, as XPath sees them: every attribute except namespace
/// declarations, `xsi:` attributes included, plus the attributes added by a default or
/// fixed value in the schema (they are in the infoset that fields are evaluated on). The
/// tracker reads names only while a field path may end at this element, and asks for a
/// value only for the attributes a field selects, so untouched attributes cost nothing.
pub trait AttributeSource {
    /// Number of attributes.
    fn attribute_count(&self) -> usize;
    /// Namespace and local name of attribute `index` (`None` past the end).
    fn attribute_name(&self, index: usize) -> Option<(Option<&str>, &str)>;
    /// The value of attribute `index`.
    fn attribute_value(&self, index: usize) -> AttributeValue;
}

/// An element without attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAttributes;

impl AttributeSource for NoAttributes {
    fn attribute_count(&self) -> usize {
        0
    }

    fn attribute_name(&self, _index: usize) -> Option<(Option<&str>, &str)> {
        None
    }

    fn attribute_value(&self, _index: usize) -> AttributeValue {
        AttributeValue::Invalid
    }
}

/// `(namespace, local, value)` triples, the value `None` when not assessed
/// ([`AttributeValue::Untyped`]); for tests and pre-typed attributes.
impl AttributeSource for [(Option<&str>, &str, Option<Value>)] {
    fn attribute_count(&self) -> usize {
        self.len()
    }

    fn attribute_name(&self, index: usize) -> Option<(Option<&str>, &str)> {
        self.get(index).map(|&(ns, local, _)| (ns, local))
    }

    fn attribute_value(&self, index: usize) -> AttributeValue {
        match self.get(index).and_then(|(_, _, v)| v.clone()) {
            Some(v) => AttributeValue::Typed(v),
            None => AttributeValue::Untyped,
        }
    }
}

/// The category of a compiled constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Category {
    Unique,
    Key,
    /// Index of the referenced key/unique in [`IdentityConstraintSet::constraints`].
    KeyRef(usize),
}

/// One identity constraint, ready for matching.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CompiledConstraint {
    pub id: IdentityConstraintId,
    /// The name as written (`{ns}local` when namespaced), for messages.
    pub name: Box<str>,
    pub category: Category,
    pub selector: XPath,
    pub fields: Vec<XPath>,
    /// The field expressions as written, for messages.
    pub field_texts: Vec<Box<str>>,
    /// For key/unique: some keyref refers to it, so its rows may have to move up the tree.
    pub referenced: bool,
}

impl CompiledConstraint {
    pub(crate) fn category_name(&self) -> &'static str {
        match self.category {
            Category::Unique => "unique",
            Category::Key => "key",
            Category::KeyRef(_) => "keyref",
        }
    }
}

/// Every identity constraint of a schema set, compiled. Immutable, `Send + Sync`; indexed
/// by [`IdentityConstraintId`].
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct IdentityConstraintSet {
    pub(crate) constraints: Vec<CompiledConstraint>,
}

impl IdentityConstraintSet {
    /// Compiles the selectors and fields of every constraint in `model`, reporting every
    /// problem found.
    pub fn compile(model: &SchemaModel) -> Result<IdentityConstraintSet, Vec<IdentityError>> {
        let mut errors = Vec::new();
        let mut constraints = Vec::with_capacity(model.identity_constraints.len());
        for (index, ic) in model.identity_constraints.iter().enumerate() {
            let name: Box<str> = model.display_name(&ic.name).into();
            let selector = compile_xpath(model, &ic.selector, XPathKind::Selector, &name)
                .map_err(|e| errors.push(e))
                .ok();
            let fields: Vec<XPath> = ic
                .fields
                .iter()
                .filter_map(|f| {
                    compile_xpath(model, f, XPathKind::Field, &name)
                        .map_err(|e| errors.push(e))
                        .ok()
                })
                .collect();
            let category = match ic.kind {
                IdentityConstraintKind::Unique => Category::Unique,
                IdentityConstraintKind::Key => Category::Key,
                IdentityConstraintKind::KeyRef { refer } => {
                    let referred = model.identity_constraints.get(refer.index());
                    if let Some(r) = referred.filter(|r| r.fields.len() != ic.fields.len()) {
                        errors.push(error_at(
                            model,
                            ic.location,
                            "c-props-correct.2",
                            format!(
                                "keyref '{name}' has {} field(s) but the {} '{}' it refers to has {}",
                                ic.fields.len(),
                                match r.kind {
                                    IdentityConstraintKind::Key => "key",
                                    _ => "constraint",
                                },
                                model.display_name(&r.name),
                                r.fields.len()
                            ),
                        ));
                    }
                    Category::KeyRef(refer.index())
                }
            };
            constraints.push(CompiledConstraint {
                id: IdentityConstraintId(index as u32),
                name,
                category,
                selector: selector.unwrap_or(XPath { paths: Vec::new() }),
                fields,
                field_texts: ic.fields.iter().map(|f| f.text.as_str().into()).collect(),
                referenced: false,
            });
        }
        for i in 0..constraints.len() {
            if let Some(Category::KeyRef(target)) = constraints.get(i).map(|c| c.category) {
                if let Some(t) = constraints.get_mut(target) {
                    t.referenced = true;
                }
            }
        }
        if errors.is_empty() {
            Ok(IdentityConstraintSet { constraints })
        } else {
            Err(errors)
        }
    }

    /// Number of compiled constraints.
    pub fn len(&self) -> usize {
        self.constraints.len()
    }

    /// True when the schema set has no identity constraints.
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
    }
}

fn compile_xpath(
    model: &SchemaModel,
    expr: &XPathExpr,
    kind: XPathKind,
    constraint: &str,
) -> Result<XPath, IdentityError> {
    let scope: Option<&NamespaceScope> = model.namespace_scope(expr.namespaces);
    let resolve = |prefix: &str| -> Option<String> {
        let id = scope?.lookup(Some(prefix))?;
        model.namespaces.uri(id).map(str::to_owned)
    };
    xpath::parse(&expr.text, kind, &resolve).map_err(|e| {
        let (rule, what) = match kind {
            XPathKind::Selector => ("c-selector-xpath", "selector"),
            XPathKind::Field => ("c-fields-xpaths", "field"),
        };
        error_at(
            model,
            expr.location,
            rule,
            format!(
                "invalid {what} XPath '{}' of '{constraint}': {e}",
                expr.text
            ),
        )
    })
}

fn error_at(
    model: &SchemaModel,
    location: crate::schema::Location,
    rule: &'static str,
    message: String,
) -> IdentityError {
    IdentityError {
        rule,
        message,
        document: model
            .document_path(location)
            .map(|p| p.to_path_buf())
            .unwrap_or_default(),
        line: location.line,
        column: location.column,
    }
}

#[cfg(test)]
mod tests;
