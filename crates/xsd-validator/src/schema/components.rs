//! The resolved XSD 1.0 component model: arenas of components addressed by typed ids.
//!
//! **Invariant:** every id stored in a component of a [`SchemaModel`] returned by
//! [`super::load`] is a valid index into the matching arena; QName references are gone.
//! Simple-type facets and particles are plain data here; the compile step turns them into
//! datatypes and automata.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::datatypes::Builtin;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// Position in the model's arena.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An element declaration in [`SchemaModel::elements`].
    ElementId
);
id_type!(
    /// An attribute declaration in [`SchemaModel::attributes`].
    AttributeId
);
id_type!(
    /// A simple or complex type definition in [`SchemaModel::types`].
    TypeId
);
id_type!(
    /// A named model group in [`SchemaModel::groups`].
    GroupId
);
id_type!(
    /// An attribute group in [`SchemaModel::attribute_groups`].
    AttributeGroupId
);
id_type!(
    /// An identity constraint in [`SchemaModel::identity_constraints`].
    IdentityConstraintId
);
id_type!(
    /// A notation declaration in [`SchemaModel::notations`].
    NotationId
);
id_type!(
    /// A schema document in [`SchemaModel::documents`].
    DocumentId
);
id_type!(
    /// An interned namespace name in [`SchemaModel::namespaces`]; [`NamespaceId::ABSENT`] is
    /// "no namespace".
    NamespaceId
);
id_type!(
    /// A set of in-scope namespace bindings in [`SchemaModel::namespace_scopes`].
    NamespaceScopeId
);

impl NamespaceId {
    /// The absent namespace (unqualified names).
    pub const ABSENT: NamespaceId = NamespaceId(0);
}

/// Where a component was declared. Lines and columns are 1-based (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub document: DocumentId,
    pub line: u32,
    pub column: u32,
}

/// An expanded name: interned namespace plus local part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QName {
    pub namespace: NamespaceId,
    pub local: Box<str>,
}

/// Interned namespace names. Index 0 is the absent namespace (the empty string).
#[derive(Debug, Clone)]
pub struct NamespaceTable {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, NamespaceId>,
}

impl Default for NamespaceTable {
    fn default() -> Self {
        NamespaceTable {
            names: vec!["".into()],
            ids: HashMap::new(),
        }
    }
}

/// Cached as the list of names; the lookup map is rebuilt.
impl serde::Serialize for NamespaceTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&self.names, s)
    }
}

impl<'de> serde::Deserialize<'de> for NamespaceTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = <Vec<Box<str>> as serde::Deserialize>::deserialize(d)?;
        if names.first().is_none_or(|n| !n.is_empty()) {
            return Err(serde::de::Error::custom(
                "namespace 0 must be the absent one",
            ));
        }
        let mut ids = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate().skip(1) {
            let id = NamespaceId(u32::try_from(i).map_err(serde::de::Error::custom)?);
            ids.insert(name.clone(), id);
        }
        Ok(NamespaceTable { names, ids })
    }
}

impl NamespaceTable {
    /// Interns `uri`; `None` or `""` is the absent namespace.
    pub fn intern(&mut self, uri: Option<&str>) -> NamespaceId {
        let Some(uri) = uri.filter(|u| !u.is_empty()) else {
            return NamespaceId::ABSENT;
        };
        if let Some(&id) = self.ids.get(uri) {
            return id;
        }
        let id = NamespaceId(self.names.len() as u32);
        self.names.push(uri.into());
        self.ids.insert(uri.into(), id);
        id
    }

    /// Looks up an already interned namespace; `None`/`""` is the absent namespace.
    pub fn get(&self, uri: Option<&str>) -> Option<NamespaceId> {
        match uri.filter(|u| !u.is_empty()) {
            None => Some(NamespaceId::ABSENT),
            Some(u) => self.ids.get(u).copied(),
        }
    }

    /// The namespace name; `None` for the absent namespace.
    pub fn uri(&self, id: NamespaceId) -> Option<&str> {
        if id == NamespaceId::ABSENT {
            return None;
        }
        self.names.get(id.index()).map(|s| &**s)
    }

    /// Number of interned namespaces including the absent one.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Never true: the absent namespace is always present.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// In-scope namespace bindings of a schema element (prefix `None` is the default namespace),
/// needed for QName-valued defaults, facets and identity-constraint XPaths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceScope {
    pub bindings: Vec<(Option<Box<str>>, NamespaceId)>,
}

impl NamespaceScope {
    /// Resolves a prefix (`None` = default namespace).
    pub fn lookup(&self, prefix: Option<&str>) -> Option<NamespaceId> {
        self.bindings
            .iter()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|&(_, ns)| ns)
    }
}

/// Top-level components of one symbol space, by expanded name.
#[derive(Debug, Clone)]
pub struct NameMap<I> {
    map: HashMap<NamespaceId, HashMap<Box<str>, I>>,
}

impl<I> Default for NameMap<I> {
    fn default() -> Self {
        NameMap {
            map: HashMap::new(),
        }
    }
}

impl<I: Copy> NameMap<I> {
    /// The component named `{namespace}local`.
    pub fn get(&self, namespace: NamespaceId, local: &str) -> Option<I> {
        self.map.get(&namespace).and_then(|m| m.get(local)).copied()
    }

    /// Inserts and returns the previous entry.
    pub(crate) fn insert(&mut self, name: &QName, id: I) -> Option<I> {
        self.map
            .entry(name.namespace)
            .or_default()
            .insert(name.local.clone(), id)
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (NamespaceId, &str, I)> + '_ {
        self.map
            .iter()
            .flat_map(|(&ns, m)| m.iter().map(move |(k, &v)| (ns, &**k, v)))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.values().map(HashMap::len).sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A schema document that contributed components.
#[derive(Debug, Clone)]
pub struct DocumentInfo {
    pub path: PathBuf,
    /// The target namespace the document's components got (the includer's for chameleons).
    pub target_namespace: NamespaceId,
    /// True for a chameleon include (no own targetNamespace, took the includer's).
    pub chameleon: bool,
}

/// A reference to a type definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// `xs:anyType`, the one complex built-in (the ur-type).
    AnyType,
    /// A built-in simple type, `xs:anySimpleType` included.
    Builtin(Builtin),
    Defined(TypeId),
}

impl TypeRef {
    /// The built-in type named `local` in the XSD namespace.
    pub fn builtin_named(local: &str) -> Option<TypeRef> {
        if local == "anyType" {
            return Some(TypeRef::AnyType);
        }
        Builtin::from_local_name(local).map(TypeRef::Builtin)
    }
}

/// `block`/`final` values: a set of derivation methods.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct DerivationSet(u8);

impl DerivationSet {
    pub const EMPTY: DerivationSet = DerivationSet(0);
    pub const EXTENSION: DerivationSet = DerivationSet(1);
    pub const RESTRICTION: DerivationSet = DerivationSet(2);
    pub const SUBSTITUTION: DerivationSet = DerivationSet(4);
    pub const LIST: DerivationSet = DerivationSet(8);
    pub const UNION: DerivationSet = DerivationSet(16);

    /// True when every method of `other` is in `self`.
    pub fn contains(self, other: DerivationSet) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Set union.
    pub fn union(self, other: DerivationSet) -> DerivationSet {
        DerivationSet(self.0 | other.0)
    }

    /// True when no method is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn from_bits(bits: u8) -> DerivationSet {
        DerivationSet(bits)
    }
}

/// `default` or `fixed` with its (unnormalized) lexical value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueConstraint {
    Default(String),
    Fixed(String),
}

/// `maxOccurs`. Counts above `u64::MAX` saturate (no instance can hold that many).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxOccurs {
    Bounded(u64),
    Unbounded,
}

/// A particle: occurrence range plus term.
#[derive(Debug, Clone, PartialEq)]
pub struct Particle {
    pub min_occurs: u64,
    pub max_occurs: MaxOccurs,
    pub term: Term,
    pub location: Location,
}

/// The term of a particle.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A local declaration or a reference to a top-level one.
    Element(ElementId),
    /// A reference to a named model group (`xs:group ref`).
    Group(GroupId),
    /// An inline `sequence`/`choice`/`all`.
    ModelGroup(ModelGroup),
    Wildcard(Wildcard),
}

/// `sequence`, `choice` or `all` with its particles.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGroup {
    pub compositor: Compositor,
    pub particles: Vec<Particle>,
}

/// Model group compositor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compositor {
    Sequence,
    Choice,
    All,
}

/// `processContents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProcessContents {
    Strict,
    Lax,
    Skip,
}

/// The namespace constraint of a wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceConstraint {
    /// `##any`
    Any,
    /// `##other`: any namespace except this one and except absent.
    Not(NamespaceId),
    /// An explicit list (`##targetNamespace`, `##local` = absent, URIs).
    Set(Vec<NamespaceId>),
}

/// `xs:any` / `xs:anyAttribute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    pub namespaces: NamespaceConstraint,
    pub process_contents: ProcessContents,
    pub location: Location,
}

/// An element declaration (top-level or local).
#[derive(Debug, Clone)]
pub struct ElementDecl {
    pub name: QName,
    pub global: bool,
    pub type_def: TypeRef,
    pub nillable: bool,
    pub is_abstract: bool,
    pub value_constraint: Option<ValueConstraint>,
    /// Bindings in scope at the declaration (for QName-typed default/fixed values).
    pub namespaces: NamespaceScopeId,
    pub substitution_group: Option<ElementId>,
    /// `block` (or `blockDefault`): extension, restriction, substitution.
    pub block: DerivationSet,
    /// `final` (or `finalDefault`): extension, restriction.
    pub final_set: DerivationSet,
    pub identity_constraints: Vec<IdentityConstraintId>,
    pub location: Location,
}

/// An attribute declaration (top-level or local).
#[derive(Debug, Clone)]
pub struct AttributeDecl {
    pub name: QName,
    pub global: bool,
    pub type_def: TypeRef,
    pub value_constraint: Option<ValueConstraint>,
    pub namespaces: NamespaceScopeId,
    pub location: Location,
}

/// `use` of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeUseKind {
    Optional,
    Required,
    Prohibited,
}

/// An attribute use of a complex type or attribute group.
#[derive(Debug, Clone)]
pub struct AttributeUse {
    pub declaration: AttributeId,
    pub use_kind: AttributeUseKind,
    /// The use's own default/fixed (on a `ref`), overriding the declaration's.
    pub value_constraint: Option<ValueConstraint>,
    pub location: Location,
}

/// A type definition.
#[derive(Debug, Clone)]
pub enum TypeDef {
    Simple(SimpleTypeDef),
    Complex(ComplexTypeDef),
}

impl TypeDef {
    /// The name of a top-level definition.
    pub fn name(&self) -> Option<&QName> {
        match self {
            TypeDef::Simple(s) => s.name.as_ref(),
            TypeDef::Complex(c) => c.name.as_ref(),
        }
    }

    /// Where the definition is.
    pub fn location(&self) -> Location {
        match self {
            TypeDef::Simple(s) => s.location,
            TypeDef::Complex(c) => c.location,
        }
    }
}

/// A simple type definition.
#[derive(Debug, Clone)]
pub struct SimpleTypeDef {
    pub name: Option<QName>,
    /// `final` (or `finalDefault`): restriction, list, union.
    pub final_set: DerivationSet,
    pub variety: SimpleVariety,
    pub location: Location,
}

/// How a simple type is defined.
#[derive(Debug, Clone)]
pub enum SimpleVariety {
    Restriction { base: TypeRef, facets: Vec<Facet> },
    List { item: TypeRef },
    Union { members: Vec<TypeRef> },
}

/// Constraining facet kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FacetKind {
    Length,
    MinLength,
    MaxLength,
    Pattern,
    Enumeration,
    WhiteSpace,
    MaxInclusive,
    MaxExclusive,
    MinInclusive,
    MinExclusive,
    TotalDigits,
    FractionDigits,
}

impl FacetKind {
    /// The facet named by an XSD element local name.
    pub fn from_local(local: &str) -> Option<FacetKind> {
        Some(match local {
            "length" => FacetKind::Length,
            "minLength" => FacetKind::MinLength,
            "maxLength" => FacetKind::MaxLength,
            "pattern" => FacetKind::Pattern,
            "enumeration" => FacetKind::Enumeration,
            "whiteSpace" => FacetKind::WhiteSpace,
            "maxInclusive" => FacetKind::MaxInclusive,
            "maxExclusive" => FacetKind::MaxExclusive,
            "minInclusive" => FacetKind::MinInclusive,
            "minExclusive" => FacetKind::MinExclusive,
            "totalDigits" => FacetKind::TotalDigits,
            "fractionDigits" => FacetKind::FractionDigits,
            _ => return None,
        })
    }
}

/// A facet as written: raw value, `fixed`, and the bindings in scope (enumerations of QNames).
#[derive(Debug, Clone)]
pub struct Facet {
    pub kind: FacetKind,
    pub value: String,
    pub fixed: bool,
    pub namespaces: NamespaceScopeId,
    pub location: Location,
}

/// Extension or restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    Extension,
    Restriction,
}

/// A complex type definition. The particle and attribute uses are those written in this
/// definition (attribute groups expanded); inheritance from the base is the compile step's.
#[derive(Debug, Clone)]
pub struct ComplexTypeDef {
    pub name: Option<QName>,
    pub base: TypeRef,
    pub derivation: Derivation,
    pub is_abstract: bool,
    /// Effective `mixed` (from complexContent's or complexType's attribute).
    pub mixed: bool,
    /// `block` (or `blockDefault`): extension, restriction.
    pub block: DerivationSet,
    /// `final` (or `finalDefault`): extension, restriction.
    pub final_set: DerivationSet,
    pub content: ComplexContent,
    /// Own attribute uses plus those of referenced attribute groups (transitively),
    /// prohibited uses included.
    pub attribute_uses: Vec<AttributeUse>,
    /// Own `anyAttribute` followed by those of referenced attribute groups; the complete
    /// wildcard is their intersection (computed by the compile step).
    pub attribute_wildcards: Vec<Wildcard>,
    /// Attribute groups referenced directly.
    pub attribute_groups: Vec<AttributeGroupId>,
    pub location: Location,
}

/// The content of a complex type as written.
#[derive(Debug, Clone)]
pub enum ComplexContent {
    /// `simpleContent`: the base plus, for restriction, an optional anonymous simple type
    /// and facets.
    Simple {
        simple_type: Option<TypeId>,
        facets: Vec<Facet>,
    },
    /// `complexContent` or the shorthand form; `None` when no particle is written.
    Complex { particle: Option<Particle> },
}

/// A named model group.
#[derive(Debug, Clone)]
pub struct GroupDef {
    pub name: QName,
    pub model_group: ModelGroup,
    pub location: Location,
    /// For a redefinition that does not refer to itself: the group it replaces, which it
    /// must restrict (src-redefine.6.2.2; checked when the set is compiled).
    pub restricts: Option<GroupId>,
}

/// A named attribute group.
#[derive(Debug, Clone)]
pub struct AttributeGroupDef {
    pub name: QName,
    /// Own uses plus those of nested groups (transitively).
    pub attribute_uses: Vec<AttributeUse>,
    /// Own wildcard followed by those of nested groups.
    pub attribute_wildcards: Vec<Wildcard>,
    /// Attribute groups referenced directly.
    pub attribute_groups: Vec<AttributeGroupId>,
    pub location: Location,
    /// For a redefinition that does not refer to itself: the group it replaces, which it
    /// must restrict (src-redefine.7.2.2; types of matching uses are compared when the set
    /// is compiled).
    pub restricts: Option<AttributeGroupId>,
}

/// unique / key / keyref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityConstraintKind {
    Unique,
    Key,
    KeyRef { refer: IdentityConstraintId },
}

/// An XPath of a selector or field, with the bindings in scope where it is written.
#[derive(Debug, Clone)]
pub struct XPathExpr {
    pub text: String,
    pub namespaces: NamespaceScopeId,
    pub location: Location,
}

/// An identity-constraint definition.
#[derive(Debug, Clone)]
pub struct IdentityConstraint {
    pub name: QName,
    pub kind: IdentityConstraintKind,
    pub selector: XPathExpr,
    pub fields: Vec<XPathExpr>,
    /// The declaring element.
    pub element: ElementId,
    pub location: Location,
}

/// A notation declaration.
#[derive(Debug, Clone)]
pub struct Notation {
    pub name: QName,
    pub public: Option<String>,
    pub system: Option<String>,
    pub location: Location,
}

/// All components of a loaded schema set with its top-level symbol spaces.
#[derive(Debug, Clone, Default)]
pub struct SchemaModel {
    pub documents: Vec<DocumentInfo>,
    pub namespaces: NamespaceTable,
    pub namespace_scopes: Vec<NamespaceScope>,
    pub elements: Vec<ElementDecl>,
    pub attributes: Vec<AttributeDecl>,
    pub types: Vec<TypeDef>,
    pub groups: Vec<GroupDef>,
    pub attribute_groups: Vec<AttributeGroupDef>,
    pub identity_constraints: Vec<IdentityConstraint>,
    pub notations: Vec<Notation>,
    pub global_elements: NameMap<ElementId>,
    pub global_attributes: NameMap<AttributeId>,
    pub global_types: NameMap<TypeId>,
    pub global_groups: NameMap<GroupId>,
    pub global_attribute_groups: NameMap<AttributeGroupId>,
    pub global_identity_constraints: NameMap<IdentityConstraintId>,
    pub global_notations: NameMap<NotationId>,
}

impl SchemaModel {
    fn ns(&self, namespace: Option<&str>) -> Option<NamespaceId> {
        self.namespaces.get(namespace)
    }

    /// The top-level element `{namespace}local`.
    pub fn element(&self, namespace: Option<&str>, local: &str) -> Option<ElementId> {
        self.global_elements.get(self.ns(namespace)?, local)
    }

    /// The top-level attribute `{namespace}local`.
    pub fn attribute(&self, namespace: Option<&str>, local: &str) -> Option<AttributeId> {
        self.global_attributes.get(self.ns(namespace)?, local)
    }

    /// The top-level type `{namespace}local` (built-ins are not in the model).
    pub fn type_named(&self, namespace: Option<&str>, local: &str) -> Option<TypeId> {
        self.global_types.get(self.ns(namespace)?, local)
    }

    /// The named model group `{namespace}local`.
    pub fn group(&self, namespace: Option<&str>, local: &str) -> Option<GroupId> {
        self.global_groups.get(self.ns(namespace)?, local)
    }

    /// The attribute group `{namespace}local`.
    pub fn attribute_group(
        &self,
        namespace: Option<&str>,
        local: &str,
    ) -> Option<AttributeGroupId> {
        self.global_attribute_groups.get(self.ns(namespace)?, local)
    }

    /// The declaration behind an id.
    pub fn element_decl(&self, id: ElementId) -> Option<&ElementDecl> {
        self.elements.get(id.index())
    }

    /// The definition behind an id.
    pub fn type_def(&self, id: TypeId) -> Option<&TypeDef> {
        self.types.get(id.index())
    }

    /// The declaration behind an id.
    pub fn attribute_decl(&self, id: AttributeId) -> Option<&AttributeDecl> {
        self.attributes.get(id.index())
    }

    /// The scope behind an id.
    pub fn namespace_scope(&self, id: NamespaceScopeId) -> Option<&NamespaceScope> {
        self.namespace_scopes.get(id.index())
    }

    /// The path of a component's document.
    pub fn document_path(&self, location: Location) -> Option<&std::path::Path> {
        self.documents
            .get(location.document.index())
            .map(|d| d.path.as_path())
    }

    /// `{uri}local` or `local`, for messages.
    pub fn display_name(&self, name: &QName) -> String {
        match self.namespaces.uri(name.namespace) {
            Some(uri) => format!("{{{uri}}}{}", name.local),
            None => name.local.to_string(),
        }
    }
}
