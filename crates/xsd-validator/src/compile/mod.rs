//! Compiling a loaded [`SchemaModel`] into the immutable runtime form the validator walks.
//!
//! Code map:
//! - `names`: interned expanded names (content models and attribute lookups compare integers).
//! - `leaf`: content-model leaves (element particles with their substitution groups,
//!   wildcards) and wildcard namespace algebra.
//! - `compiler`: the passes — type skeletons, declarations, substitution groups, type bodies
//!   (simple types through [`crate::datatypes`], complete attribute uses and wildcards,
//!   content types and automata through [`crate::content_model`]), value constraints.
//! - `handle`: the public, borrowed views of declarations and types ([`ElementDeclaration`],
//!   [`TypeDefinition`], [`AttributeDeclaration`]).
//!
//! **API boundary:** [`SchemaSet::compile`] / [`SchemaSet::from_model`] return a complete set
//! or every problem found (loading, then compiling), as [`SchemaError`]s.
//!
//! **Architecture invariant:** a [`SchemaSet`] is immutable once built; every index stored in
//! it is valid for its arenas, so validation never needs to check ids it got from the set.

mod compiler;
mod handle;
mod leaf;
pub(crate) mod names;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::content_model::Automaton;
use crate::datatypes::{SimpleType, Value};
use crate::schema::{
    self, DerivationSet, ElementId, IdentityConstraintId, NamespaceId, NamespaceTable, SchemaError,
    SchemaModel,
};

pub use handle::{AttributeDeclaration, ElementDeclaration, TypeDefinition};
pub use names::NameId;

use names::FxHashMap;

#[cfg(test)]
pub(crate) use leaf::LeafNames;
pub(crate) use leaf::{ElementInput, Leaf, NamespaceSet, WildcardRule};
pub(crate) use names::FOREIGN_NAMESPACE;

/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`, ...).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Index of an element declaration (the same position as its [`ElementId`] in the model).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct ElementIndex(pub u32);

/// Index of a type definition: the built-ins first ([`BUILTIN_TYPES`]), then the model's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct TypeIndex(pub u32);

/// Index of an attribute declaration (the same position as in the model).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct AttributeIndex(pub u32);

impl TypeIndex {
    pub(crate) const ANY_TYPE: TypeIndex = TypeIndex(0);
}

/// How a type was derived from its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Method {
    /// anyType, the root of the hierarchy.
    None,
    Restriction,
    Extension,
    List,
    Union,
}

impl Method {
    /// The `block`/`final` bit this method is subject to.
    pub(crate) fn as_set(self) -> DerivationSet {
        match self {
            Method::None => DerivationSet::EMPTY,
            Method::Restriction => DerivationSet::RESTRICTION,
            Method::Extension => DerivationSet::EXTENSION,
            Method::List => DerivationSet::LIST,
            Method::Union => DerivationSet::UNION,
        }
    }
}

/// Which ID/IDREF semantics a simple type has (XSD 1.0 3.15.3 cvc-id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum IdKind {
    None,
    Id,
    IdRef,
    IdRefs,
}

/// A simple type together with its ID/IDREF role.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SimpleRule {
    #[serde(with = "crate::cache::shared")]
    pub simple: Arc<SimpleType>,
    pub id: IdKind,
}

/// A default or fixed value, checked against its type at compile time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ValueRule {
    pub fixed: bool,
    pub lexical: Box<str>,
    /// The value in the governing simple type's value space; `None` for mixed content,
    /// where the fixed value is compared as a string.
    pub value: Option<Value>,
}

/// An element declaration.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct ElementRule {
    pub name: NameId,
    pub namespace: NamespaceId,
    pub type_index: TypeIndex,
    pub nillable: bool,
    pub is_abstract: bool,
    pub global: bool,
    /// extension, restriction (for xsi:type), substitution.
    pub block: DerivationSet,
    pub value: Option<ValueRule>,
    pub model_id: ElementId,
    /// The unique/key/keyref constraints declared on the element.
    pub identity_constraints: Box<[IdentityConstraintId]>,
}

/// An attribute declaration.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct AttributeRule {
    pub name: NameId,
    pub namespace: NamespaceId,
    pub type_index: TypeIndex,
    pub value: Option<ValueRule>,
}

/// An attribute use of a complex type (inherited ones included, prohibited ones removed).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AttributeUseRule {
    pub name: NameId,
    pub attribute: AttributeIndex,
    pub required: bool,
    /// The use's own value constraint, else the declaration's.
    pub value: Option<ValueRule>,
}

/// The content type of a complex type.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum Content {
    Empty,
    Simple(SimpleRule),
    Elements {
        automaton: Automaton<Leaf>,
        mixed: bool,
    },
}

/// A complex type's runtime form.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct ComplexRule {
    /// Sorted by name.
    pub attributes: Vec<AttributeUseRule>,
    pub wildcard: Option<WildcardRule>,
    pub content: Content,
}

impl ComplexRule {
    pub(crate) fn attribute_use(&self, name: NameId) -> Option<(usize, &AttributeUseRule)> {
        let i = self
            .attributes
            .binary_search_by_key(&name, |u| u.name)
            .ok()?;
        self.attributes.get(i).map(|u| (i, u))
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum TypeBody {
    Simple(SimpleRule),
    Complex(ComplexRule),
}

/// A type definition.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct TypeRule {
    /// The type's name (named types, also local ones of redefinitions; built-ins).
    pub name: Option<NameId>,
    pub base: Option<TypeIndex>,
    pub method: Method,
    pub final_set: DerivationSet,
    /// extension, restriction (complex types only).
    pub block: DerivationSet,
    pub is_abstract: bool,
    pub body: TypeBody,
}

impl TypeRule {
    /// The simple type governing the text of an element of this type, if any.
    pub(crate) fn simple_rule(&self) -> Option<&SimpleRule> {
        match &self.body {
            TypeBody::Simple(s) => Some(s),
            TypeBody::Complex(ComplexRule {
                content: Content::Simple(s),
                ..
            }) => Some(s),
            TypeBody::Complex(_) => None,
        }
    }
}

/// Where [`SchemaSet::model`] comes from.
#[derive(Debug)]
pub(crate) enum ModelSource {
    /// Compiled from this model.
    Loaded(SchemaModel),
    /// Read from the compiled-schema cache: loaded from the sources on first need.
    Sources {
        entries: Vec<PathBuf>,
        catalog: Option<PathBuf>,
        model: OnceLock<Result<SchemaModel, Vec<SchemaError>>>,
    },
}

/// A compiled XSD 1.0 schema set: immutable, `Send + Sync`, meant to be shared through `Arc`
/// and used by any number of concurrent validations.
#[derive(Debug)]
pub struct SchemaSet {
    pub(crate) model: ModelSource,
    pub(crate) namespaces: NamespaceTable,
    pub(crate) names: names::NameTable,
    pub(crate) types: Vec<TypeRule>,
    pub(crate) elements: Vec<ElementRule>,
    pub(crate) attributes: Vec<AttributeRule>,
    pub(crate) global_elements: FxHashMap<NameId, ElementIndex>,
    pub(crate) global_attributes: FxHashMap<NameId, AttributeIndex>,
    pub(crate) global_types: FxHashMap<NameId, TypeIndex>,
    pub(crate) xsi_namespace: NamespaceId,
    /// unique/key/keyref, matched by [`crate::identity::IdentityTracker`] during validation.
    pub(crate) identity: crate::identity::IdentityConstraintSet,
}

impl SchemaSet {
    /// Loads (see [`schema::load`]) and compiles the schema set made of `entries`.
    pub fn compile(
        entries: &[PathBuf],
        catalog: Option<&Path>,
    ) -> Result<SchemaSet, Vec<SchemaError>> {
        SchemaSet::from_model(schema::load(entries, catalog)?)
    }

    /// Compiles an already loaded model.
    pub fn from_model(model: SchemaModel) -> Result<SchemaSet, Vec<SchemaError>> {
        compiler::compile(model)
    }

    /// The loaded component model the set was compiled from (tools such as
    /// [`crate::sample`]; validation does not need it). A set read from the compiled-schema
    /// cache loads it from its source documents on the first call; should that fail (the
    /// documents were removed or broken since), this returns an empty model; use
    /// [`SchemaSet::try_model`] to see why.
    pub fn model(&self) -> &SchemaModel {
        static EMPTY: OnceLock<SchemaModel> = OnceLock::new();
        self.try_model()
            .unwrap_or_else(|_| EMPTY.get_or_init(SchemaModel::default))
    }

    /// The component model (see [`SchemaSet::model`]), or why it could not be loaded again
    /// for a set read from the compiled-schema cache.
    pub fn try_model(&self) -> Result<&SchemaModel, &[SchemaError]> {
        match &self.model {
            ModelSource::Loaded(model) => Ok(model),
            ModelSource::Sources {
                entries,
                catalog,
                model,
            } => model
                .get_or_init(|| schema::load(entries, catalog.as_deref()))
                .as_ref()
                .map_err(Vec::as_slice),
        }
    }

    /// The top-level element declaration `{namespace}local`.
    pub fn element(&self, namespace: Option<&str>, local: &str) -> Option<ElementDeclaration<'_>> {
        let name = self.names.get(self.namespaces.get(namespace)?, local)?;
        let index = *self.global_elements.get(&name)?;
        Some(ElementDeclaration::new(self, index))
    }

    /// The top-level type definition `{namespace}local` (built-ins included).
    pub fn type_definition(
        &self,
        namespace: Option<&str>,
        local: &str,
    ) -> Option<TypeDefinition<'_>> {
        let name = self.names.get(self.namespaces.get(namespace)?, local)?;
        let index = *self.global_types.get(&name)?;
        Some(TypeDefinition::new(self, index))
    }

    /// The declaration compiled from a model element id.
    pub fn element_by_id(&self, id: ElementId) -> Option<ElementDeclaration<'_>> {
        let index = ElementIndex(u32::try_from(id.index()).ok()?);
        self.elements
            .get(id.index())
            .map(|_| ElementDeclaration::new(self, index))
    }

    /// All top-level element declarations, in no particular order.
    pub fn global_elements(&self) -> impl Iterator<Item = ElementDeclaration<'_>> + '_ {
        self.global_elements
            .values()
            .map(move |&i| ElementDeclaration::new(self, i))
    }

    pub(crate) fn element_rule(&self, index: ElementIndex) -> &ElementRule {
        // Indices come from this set only (architecture invariant); the fallback is never hit.
        self.elements
            .get(index.0 as usize)
            .unwrap_or_else(|| unreachable_index("element"))
    }

    pub(crate) fn type_rule(&self, index: TypeIndex) -> &TypeRule {
        self.types
            .get(index.0 as usize)
            .unwrap_or_else(|| unreachable_index("type"))
    }

    pub(crate) fn attribute_rule(&self, index: AttributeIndex) -> &AttributeRule {
        self.attributes
            .get(index.0 as usize)
            .unwrap_or_else(|| unreachable_index("attribute"))
    }

    /// The namespace id of a namespace name in an instance; [`FOREIGN_NAMESPACE`] when the
    /// set never mentions it.
    pub(crate) fn namespace_id(&self, uri: Option<&str>) -> NamespaceId {
        self.namespaces.get(uri).unwrap_or(FOREIGN_NAMESPACE)
    }

    pub(crate) fn name_id(&self, namespace: NamespaceId, local: &str) -> Option<NameId> {
        self.names.get(namespace, local)
    }

    pub(crate) fn names_local(&self, name: NameId) -> &str {
        self.names.local(name)
    }

    /// `local` or `{uri}local`.
    pub(crate) fn display_name(&self, name: NameId) -> String {
        self.names.display(name, &self.namespaces)
    }

    /// cvc-elt.4.3: whether `derived` is `base` or derived from it with no step whose method
    /// is in `blocked` or in the declared type's `block` (those of types in between do not
    /// count, unlike for substitution groups).
    pub(crate) fn xsi_type_derives_from(
        &self,
        derived: TypeIndex,
        base: TypeIndex,
        blocked: DerivationSet,
    ) -> bool {
        let blocked = match self.types.get(base.0 as usize) {
            Some(t) => blocked.union(t.block),
            None => blocked,
        };
        derivation_chain_ok(&self.types, derived, base, blocked, false)
    }
}

/// Shared by the compiler (on its arena) and the set.
pub(crate) fn derivation_ok(
    types: &[TypeRule],
    derived: TypeIndex,
    base: TypeIndex,
    blocked: DerivationSet,
) -> bool {
    derivation_chain_ok(types, derived, base, blocked, true)
}

/// `type_blocks`: whether the `block` of the base and of intermediate types counts too
/// (substitution and xsi:type), or only `blocked` (a head's `final`).
pub(crate) fn derivation_chain_ok(
    types: &[TypeRule],
    derived: TypeIndex,
    base: TypeIndex,
    blocked: DerivationSet,
    type_blocks: bool,
) -> bool {
    let Some(target) = types.get(base.0 as usize) else {
        return false;
    };
    let mut blocked = if type_blocks {
        blocked.union(target.block)
    } else {
        blocked
    };
    let mut current = derived;
    // The chain is acyclic (checked by the loader); the bound only guards against surprises.
    for _ in 0..=types.len() {
        if current == base {
            return true;
        }
        let Some(t) = types.get(current.0 as usize) else {
            return false;
        };
        // Only extension and restriction can be blocked here; list and union steps (to
        // anySimpleType) are governed by `final` alone (cos-st-derived-ok 2.2.3).
        if matches!(t.method, Method::Extension | Method::Restriction)
            && blocked.contains(t.method.as_set())
        {
            return false;
        }
        let Some(next) = t.base else {
            break;
        };
        if next != base && type_blocks {
            if let Some(n) = types.get(next.0 as usize) {
                blocked = blocked.union(n.block);
            }
        }
        current = next;
    }
    // Every simple type derives from anySimpleType and every type from anyType; a union's
    // members are validly derived from the union (cos-st-derived-ok 2.2.4).
    if base == TypeIndex::ANY_TYPE {
        return true;
    }
    match (types.get(derived.0 as usize).map(|t| &t.body), &target.body) {
        // Only a union as such, not a restriction of one: its facets would be bypassed
        // (XSD 1.1 made this explicit; libxml2 agrees).
        (Some(TypeBody::Simple(d)), TypeBody::Simple(b))
            if target.method == Method::Union && !b.simple.member_types().is_empty() =>
        {
            d.simple.is_validly_derived_from(&b.simple)
        }
        _ => false,
    }
}

#[cold]
fn unreachable_index(what: &str) -> ! {
    // An index from another set would be a caller bug; indices are crate-private.
    panic!("{what} index out of range for this schema set")
}

#[cfg(test)]
mod tests;
