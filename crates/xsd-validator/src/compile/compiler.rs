//! The compile passes: type skeletons (name, base, method, block/final) for all types first,
//! so derivation questions can be answered before any body exists; then declarations and
//! substitution groups; then type bodies in base-first order; then value constraints.

mod restriction;

use std::sync::Arc;

use crate::content_model::{self as cm, Automaton};
use crate::datatypes::{self, Builtin, FacetSpec, NamespaceContext, SimpleType, Variety};
use crate::schema::{
    self, AttributeUseKind, ComplexContent, Compositor, Derivation, DerivationSet, ElementId,
    Location, NamespaceConstraint, NamespaceId, NamespaceScopeId, NamespaceTable, SchemaError,
    SchemaModel, SimpleVariety, Term, TypeDef, TypeRef, ValueConstraint, XSD_NS,
};

use crate::datatypes::weight::{simple_weight, Weight, MAX_SIMPLE_DEPTH, MAX_VALUE_CHECKS};

use super::leaf::{LeafName, LeafNames};
use super::names::{FxHashMap, NameId, NameTable};
use super::{
    derivation_ok, AttributeIndex, AttributeRule, AttributeUseRule, ComplexRule, Content,
    ElementIndex, ElementRule, IdKind, Leaf, Method, NamespaceSet, SchemaSet, SimpleRule, TypeBody,
    TypeIndex, TypeRule, ValueRule, WildcardRule, XSI_NS,
};

/// Built-in types come first in the type arena: anyType, then [`Builtin::ALL`] in order.
const BUILTIN_TYPES: usize = 1 + Builtin::ALL.len();

/// Guards recursion over type chains and group references (the loader rejects cycles; this
/// only bounds the stack for pathological depth).
const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Active,
    Done,
}

struct Compiler {
    model: SchemaModel,
    namespaces: NamespaceTable,
    names: NameTable,
    types: Vec<TypeRule>,
    state: Vec<State>,
    /// The effective content particle of each complex type (for extension); `None` for
    /// empty or simple content.
    particles: Vec<Option<schema::Particle>>,
    elements: Vec<ElementRule>,
    members: Vec<Vec<ElementIndex>>,
    attributes: Vec<AttributeRule>,
    errors: Vec<SchemaError>,
    xsd_namespace: NamespaceId,
    /// The weight of each simple type built so far (by address; the `Arc` keeps the address
    /// from being reused), built-ins left out: see [`Compiler::admit_simple`].
    simple_weights: FxHashMap<usize, (Arc<SimpleType>, Weight)>,
}

pub(super) fn compile(model: SchemaModel) -> Result<SchemaSet, Vec<SchemaError>> {
    let mut namespaces = model.namespaces.clone();
    let xsd_namespace = namespaces.intern(Some(XSD_NS));
    let xsi_namespace = namespaces.intern(Some(XSI_NS));
    let mut c = Compiler {
        model,
        namespaces,
        names: NameTable::default(),
        types: Vec::new(),
        state: Vec::new(),
        particles: Vec::new(),
        elements: Vec::new(),
        members: Vec::new(),
        attributes: Vec::new(),
        errors: Vec::new(),
        xsd_namespace,
        simple_weights: FxHashMap::default(),
    };
    c.type_skeletons();
    c.declarations();
    // Simple types first: substitution-group membership may depend on union membership.
    let simple: Vec<usize> = (0..c.model.types.len())
        .filter(|&i| matches!(c.model.types.get(i), Some(TypeDef::Simple(_))))
        .collect();
    for i in simple {
        c.ensure_type(TypeIndex((i + BUILTIN_TYPES) as u32), 0);
    }
    c.substitution_groups();
    for i in 0..c.types.len() {
        c.ensure_type(TypeIndex(i as u32), 0);
    }
    c.value_constraints();
    c.substitution_group_types();
    c.restrictions();
    let identity = match crate::identity::IdentityConstraintSet::compile(&c.model) {
        Ok(set) => set,
        Err(errors) => {
            c.errors.extend(
                errors
                    .into_iter()
                    .map(|e| SchemaError::new(e.rule, e.message, &e.document, e.line, e.column)),
            );
            crate::identity::IdentityConstraintSet::default()
        }
    };
    if !c.errors.is_empty() {
        c.errors
            .sort_by(|a, b| (&a.document, a.line, a.column).cmp(&(&b.document, b.line, b.column)));
        c.errors.dedup();
        return Err(c.errors);
    }
    let mut global_elements = FxHashMap::default();
    for (i, e) in c.elements.iter().enumerate() {
        if e.global {
            global_elements.insert(e.name, ElementIndex(i as u32));
        }
    }
    let mut global_attributes = FxHashMap::default();
    for (_, _, id) in c.model.global_attributes.iter() {
        if let Some(a) = c.attributes.get(id.index()) {
            global_attributes.insert(a.name, AttributeIndex(id.index() as u32));
        }
    }
    let mut global_types = FxHashMap::default();
    for (i, t) in c.types.iter().enumerate() {
        // Model types are named in the global symbol space only when top-level; built-ins
        // always are.
        if let Some(name) = t.name {
            let global = i < BUILTIN_TYPES
                || c.model
                    .global_types
                    .get(c.names.namespace(name), c.names.local(name))
                    .is_some_and(|id| id.index() + BUILTIN_TYPES == i);
            if global {
                global_types.insert(name, TypeIndex(i as u32));
            }
        }
    }
    Ok(SchemaSet {
        model: super::ModelSource::Loaded(c.model),
        namespaces: c.namespaces,
        names: c.names,
        types: c.types,
        elements: c.elements,
        attributes: c.attributes,
        global_elements,
        global_attributes,
        global_types,
        xsi_namespace,
        identity,
    })
}

/// Prefix resolution from a schema element's in-scope bindings.
struct ScopeContext<'a> {
    model: &'a SchemaModel,
    scope: NamespaceScopeId,
}

impl NamespaceContext for ScopeContext<'_> {
    fn resolve(&self, prefix: &str) -> Option<&str> {
        let scope = self.model.namespace_scope(self.scope)?;
        let key = if prefix.is_empty() {
            None
        } else {
            Some(prefix)
        };
        let ns = scope.lookup(key)?;
        // A default namespace bound to "" means no namespace.
        Some(self.model.namespaces.uri(ns).unwrap_or(""))
    }
}

fn builtin_index(b: Builtin) -> TypeIndex {
    let i = Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0);
    TypeIndex((i + 1) as u32)
}

fn id_kind(st: &SimpleType) -> IdKind {
    match st.builtin_ancestor() {
        Builtin::Id => IdKind::Id,
        Builtin::IdRef => IdKind::IdRef,
        Builtin::IdRefs => IdKind::IdRefs,
        _ => match st.item_type() {
            Some(item)
                if st.variety() == Variety::List && item.builtin_ancestor() == Builtin::IdRef =>
            {
                IdKind::IdRefs
            }
            _ => IdKind::None,
        },
    }
}

/// Whether two fixed values are the same: equal values when both are typed, else equal
/// literals (after trimming XML whitespace).
pub(super) fn fixed_values_equal(a: &ValueRule, b: &ValueRule) -> bool {
    match (&a.value, &b.value) {
        (Some(x), Some(y)) => x == y,
        _ => {
            let trim = |s: &str| {
                s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
                    .to_owned()
            };
            trim(&a.lexical) == trim(&b.lexical)
        }
    }
}

fn simple_rule(st: Arc<SimpleType>) -> SimpleRule {
    let id = id_kind(&st);
    SimpleRule { simple: st, id }
}

fn to_facet_kind(k: schema::FacetKind) -> datatypes::FacetKind {
    use datatypes::FacetKind as D;
    use schema::FacetKind as S;
    match k {
        S::Length => D::Length,
        S::MinLength => D::MinLength,
        S::MaxLength => D::MaxLength,
        S::Pattern => D::Pattern,
        S::Enumeration => D::Enumeration,
        S::WhiteSpace => D::WhiteSpace,
        S::MaxInclusive => D::MaxInclusive,
        S::MaxExclusive => D::MaxExclusive,
        S::MinInclusive => D::MinInclusive,
        S::MinExclusive => D::MinExclusive,
        S::TotalDigits => D::TotalDigits,
        S::FractionDigits => D::FractionDigits,
    }
}

fn occurs(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn max_occurs(m: schema::MaxOccurs) -> cm::MaxOccurs {
    match m {
        schema::MaxOccurs::Bounded(n) => cm::MaxOccurs::Bounded(occurs(n)),
        schema::MaxOccurs::Unbounded => cm::MaxOccurs::Unbounded,
    }
}

fn namespace_set(c: &NamespaceConstraint) -> NamespaceSet {
    NamespaceSet::from(c)
}

fn wildcard_rule(w: &schema::Wildcard) -> WildcardRule {
    WildcardRule {
        namespaces: namespace_set(&w.namespaces),
        process: w.process_contents,
    }
}

/// Spec 3.4.2, complex content clause 2.1: the explicit content is empty.
fn explicit_is_empty(p: &schema::Particle) -> bool {
    if p.max_occurs == schema::MaxOccurs::Bounded(0) {
        return true;
    }
    match &p.term {
        Term::ModelGroup(g) => match g.compositor {
            Compositor::Sequence | Compositor::All => g.particles.is_empty(),
            Compositor::Choice => g.particles.is_empty() && p.min_occurs == 0,
        },
        _ => false,
    }
}

impl Compiler {
    fn error(&mut self, location: Location, rule: &'static str, message: String) {
        let document = self
            .model
            .document_path(location)
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        self.errors.push(SchemaError::new(
            rule,
            message,
            &document,
            location.line,
            location.column,
        ));
    }

    fn type_index(&self, r: TypeRef) -> TypeIndex {
        match r {
            TypeRef::AnyType => TypeIndex::ANY_TYPE,
            TypeRef::Builtin(b) => builtin_index(b),
            TypeRef::Defined(id) => TypeIndex((id.index() + BUILTIN_TYPES) as u32),
        }
    }

    fn type_location(&self, t: TypeIndex) -> Option<Location> {
        let i = (t.0 as usize).checked_sub(BUILTIN_TYPES)?;
        self.model.types.get(i).map(TypeDef::location)
    }

    fn type_display(&self, t: TypeIndex) -> String {
        match self.types.get(t.0 as usize).and_then(|t| t.name) {
            Some(name) => self.names.display(name, &self.namespaces),
            None => "(anonymous type)".into(),
        }
    }

    // ---- pass 1: skeletons ------------------------------------------------------------------

    fn type_skeletons(&mut self) {
        let xsd = self.xsd_namespace;
        let any_simple = builtin_index(Builtin::AnySimpleType);
        self.types.push(TypeRule {
            name: Some(self.names.intern(xsd, "anyType")),
            base: None,
            method: Method::None,
            final_set: DerivationSet::EMPTY,
            block: DerivationSet::EMPTY,
            is_abstract: false,
            body: TypeBody::Complex(ComplexRule {
                attributes: Vec::new(),
                wildcard: None,
                content: Content::Empty,
            }),
        });
        for b in Builtin::ALL {
            let base = match b {
                Builtin::AnySimpleType => TypeIndex::ANY_TYPE,
                _ => b.base().map_or(any_simple, builtin_index),
            };
            let method = if b.is_list() {
                Method::List
            } else {
                Method::Restriction
            };
            self.types.push(TypeRule {
                name: Some(self.names.intern(xsd, b.local_name())),
                base: Some(base),
                method,
                final_set: DerivationSet::EMPTY,
                block: DerivationSet::EMPTY,
                is_abstract: false,
                body: TypeBody::Simple(simple_rule(SimpleType::builtin(b))),
            });
        }
        for i in 0..self.model.types.len() {
            let def = &self.model.types[i];
            let name = def.name().map(|q| self.names.intern(q.namespace, &q.local));
            let (base, method, final_set, block, is_abstract) = match def {
                TypeDef::Simple(s) => {
                    let (base, method) = match &s.variety {
                        SimpleVariety::Restriction { base, .. } => {
                            (self.type_index(*base), Method::Restriction)
                        }
                        SimpleVariety::List { .. } => (any_simple, Method::List),
                        SimpleVariety::Union { .. } => (any_simple, Method::Union),
                    };
                    (base, method, s.final_set, DerivationSet::EMPTY, false)
                }
                TypeDef::Complex(c) => {
                    let method = match c.derivation {
                        Derivation::Extension => Method::Extension,
                        Derivation::Restriction => Method::Restriction,
                    };
                    (
                        self.type_index(c.base),
                        method,
                        c.final_set,
                        c.block,
                        c.is_abstract,
                    )
                }
            };
            let body = match def {
                TypeDef::Simple(_) => {
                    TypeBody::Simple(simple_rule(SimpleType::builtin(Builtin::AnySimpleType)))
                }
                TypeDef::Complex(_) => TypeBody::Complex(ComplexRule {
                    attributes: Vec::new(),
                    wildcard: None,
                    content: Content::Empty,
                }),
            };
            self.types.push(TypeRule {
                name,
                base: Some(base),
                method,
                final_set,
                block,
                is_abstract,
                body,
            });
        }
        self.state = vec![State::Pending; self.types.len()];
        self.particles = vec![None; self.types.len()];
        // Built-in simple types are complete already.
        for s in self.state.iter_mut().skip(1).take(Builtin::ALL.len()) {
            *s = State::Done;
        }
    }

    // ---- pass 2: declarations ---------------------------------------------------------------

    fn declarations(&mut self) {
        for (i, e) in self.model.elements.iter().enumerate() {
            let name = self.names.intern(e.name.namespace, &e.name.local);
            let type_index = match e.type_def {
                TypeRef::AnyType => TypeIndex::ANY_TYPE,
                TypeRef::Builtin(b) => builtin_index(b),
                TypeRef::Defined(id) => TypeIndex((id.index() + BUILTIN_TYPES) as u32),
            };
            self.elements.push(ElementRule {
                name,
                namespace: e.name.namespace,
                type_index,
                nillable: e.nillable,
                is_abstract: e.is_abstract,
                global: e.global,
                block: e.block,
                value: None,
                model_id: ElementId(i as u32),
                identity_constraints: e.identity_constraints.clone().into_boxed_slice(),
            });
        }
        for a in &self.model.attributes {
            let name = self.names.intern(a.name.namespace, &a.name.local);
            let type_index = match a.type_def {
                TypeRef::AnyType => builtin_index(Builtin::AnySimpleType),
                TypeRef::Builtin(b) => builtin_index(b),
                TypeRef::Defined(id) => TypeIndex((id.index() + BUILTIN_TYPES) as u32),
            };
            self.attributes.push(AttributeRule {
                name,
                namespace: a.name.namespace,
                type_index,
                value: None,
            });
        }
    }

    /// Transitive members of each head, minus abstract and blocked ones (Substitution Group
    /// OK (Transitive), 3.3.6), checked against the skeleton derivation chains.
    fn substitution_groups(&mut self) {
        let n = self.model.elements.len();
        let mut direct: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, e) in self.model.elements.iter().enumerate() {
            if let Some(h) = e.substitution_group {
                if let Some(d) = direct.get_mut(h.index()) {
                    d.push(i);
                }
            }
        }
        self.members = vec![Vec::new(); n];
        for head in 0..n {
            if direct.get(head).is_none_or(Vec::is_empty) {
                continue;
            }
            let Some(h) = self.elements.get(head) else {
                continue;
            };
            if h.block.contains(DerivationSet::SUBSTITUTION) {
                continue;
            }
            let head_type = h.type_index;
            let blocked = h.block;
            let mut seen = vec![false; n];
            let mut stack: Vec<usize> = direct.get(head).cloned().unwrap_or_default();
            let mut found = Vec::new();
            while let Some(m) = stack.pop() {
                if m == head || std::mem::replace(&mut seen[m], true) {
                    continue;
                }
                stack.extend(direct.get(m).into_iter().flatten().copied());
                let Some(member) = self.elements.get(m) else {
                    continue;
                };
                if member.is_abstract {
                    continue;
                }
                if derivation_ok(&self.types, member.type_index, head_type, blocked) {
                    found.push(ElementIndex(m as u32));
                }
            }
            // Document order, as the spec's substitution-group choice lists them.
            found.sort_unstable();
            self.members[head] = found;
        }
    }

    /// e-props-correct.4: a member's type must derive from its head's type (checked once the
    /// type bodies exist, since union membership counts).
    fn substitution_group_types(&mut self) {
        // e-props-correct.4: a member's type must derive from its head's type.
        let mut problems = Vec::new();
        for (i, e) in self.model.elements.iter().enumerate() {
            let Some(h) = e.substitution_group else {
                continue;
            };
            let (Some(m), Some(hd)) = (self.elements.get(i), self.elements.get(h.index())) else {
                continue;
            };
            let (mt, ht) = (m.type_index, hd.type_index);
            let final_set = hd_final(&self.model, h);
            if !super::derivation_chain_ok(&self.types, mt, ht, final_set, false) {
                let location = e.location;
                let message = format!(
                    "the type of element '{}' is not validly derived from the type of its substitution group head '{}'{}",
                    e.name.local,
                    self.model.elements[h.index()].name.local,
                    if final_set.is_empty() { "" } else { " (or the derivation is excluded by the head's final)" }
                );
                problems.push((location, message));
            }
        }
        for (location, message) in problems {
            self.error(location, "e-props-correct.4", message);
        }
    }

    // ---- pass 3: type bodies ----------------------------------------------------------------

    fn ensure_type(&mut self, t: TypeIndex, depth: usize) {
        let i = t.0 as usize;
        match self.state.get(i) {
            Some(State::Pending) => {}
            _ => return,
        }
        if depth > MAX_DEPTH {
            if let Some(loc) = self.type_location(t) {
                self.error(
                    loc,
                    "xsd-limit.depth",
                    "type derivation chain too deep".into(),
                );
            }
            return;
        }
        self.state[i] = State::Active;
        if i == 0 {
            self.any_type();
        } else if let Some(model_index) = i.checked_sub(BUILTIN_TYPES) {
            match self.model.types.get(model_index).cloned() {
                Some(TypeDef::Simple(s)) => {
                    let st = self.simple_type_body(t, &s, depth);
                    self.types[i].body = TypeBody::Simple(simple_rule(st));
                }
                Some(TypeDef::Complex(c)) => self.complex_type_body(t, &c, depth),
                None => {}
            }
        }
        self.state[i] = State::Done;
    }

    fn any_type(&mut self) {
        let location = Location {
            document: schema::DocumentId(0),
            line: 0,
            column: 0,
        };
        let wildcard = schema::Wildcard {
            namespaces: NamespaceConstraint::Any,
            process_contents: schema::ProcessContents::Lax,
            location,
        };
        let particle = schema::Particle {
            min_occurs: 0,
            max_occurs: schema::MaxOccurs::Unbounded,
            term: Term::Wildcard(wildcard.clone()),
            location,
        };
        let content = match Automaton::compile(cm::Particle::new(
            0,
            cm::MaxOccurs::Unbounded,
            cm::Term::Leaf(Leaf::Wildcard(wildcard_rule(&wildcard))),
        )) {
            Ok(automaton) => Content::Elements {
                automaton,
                mixed: true,
            },
            Err(_) => Content::Empty,
        };
        self.types[0].body = TypeBody::Complex(ComplexRule {
            attributes: Vec::new(),
            wildcard: Some(wildcard_rule(&wildcard)),
            content,
        });
        self.particles[0] = Some(particle);
    }

    /// The simple type of a simple type definition (or of the text of a complex type with
    /// simple content); `None` for other complex types.
    fn simple_of(&mut self, t: TypeIndex, depth: usize) -> Option<Arc<SimpleType>> {
        self.ensure_type(t, depth + 1);
        self.types
            .get(t.0 as usize)
            .and_then(TypeRule::simple_rule)
            .map(|s| Arc::clone(&s.simple))
    }

    fn is_simple_type(&self, t: TypeIndex) -> bool {
        matches!(
            self.types.get(t.0 as usize).map(|t| &t.body),
            Some(TypeBody::Simple(_))
        )
    }

    /// length-minLength-maxLength.1 and .2: `length` together with `minLength` or `maxLength`
    /// in one derivation step, except where the other facet repeats (or only inherits) the
    /// value of a base type that has no `length` and agrees with the length (the special case
    /// of XSD 1.0 second edition, for restrictions of IDREFS, NMTOKENS and ENTITIES, whose
    /// minLength is 1). `base` is the simple base type; `None` for simple content, which is
    /// held to the plain rule.
    fn check_length_facets(
        &mut self,
        facets: &[schema::Facet],
        base: Option<schema::TypeRef>,
        loc: Location,
    ) {
        use schema::FacetKind::{Length, MaxLength, MinLength};
        let value = |k: schema::FacetKind| {
            facets
                .iter()
                .find(|f| f.kind == k)
                .map(|f| f.value.trim().parse::<u64>().ok())
        };
        let Some(length) = value(Length) else {
            return;
        };
        for kind in [MinLength, MaxLength] {
            let Some(v) = value(kind) else {
                continue;
            };
            let consistent = match (v, length) {
                (Some(v), Some(l)) => {
                    if kind == MinLength {
                        v <= l
                    } else {
                        v >= l
                    }
                }
                _ => false,
            };
            let inherited = base.is_some_and(|b| {
                v.is_some()
                    && self.inherited_length_facet(b, kind) == v
                    && self.inherited_length_facet(b, Length).is_none()
            });
            if !(consistent && inherited) {
                self.error(
                    loc,
                    "length-minLength-maxLength.1",
                    "length cannot be specified together with minLength or maxLength".into(),
                );
                return;
            }
        }
    }

    /// The value of a length facet that `t` has, own or inherited through restrictions.
    fn inherited_length_facet(
        &self,
        mut t: schema::TypeRef,
        kind: schema::FacetKind,
    ) -> Option<u64> {
        for _ in 0..MAX_DEPTH {
            match t {
                schema::TypeRef::Builtin(b) => {
                    let listed =
                        matches!(b, Builtin::IdRefs | Builtin::NmTokens | Builtin::Entities);
                    return (listed && kind == schema::FacetKind::MinLength).then_some(1);
                }
                schema::TypeRef::AnyType => return None,
                schema::TypeRef::Defined(id) => match self.model.types.get(id.index()) {
                    Some(TypeDef::Simple(schema::SimpleTypeDef {
                        variety: SimpleVariety::Restriction { base, facets },
                        ..
                    })) => {
                        if let Some(f) = facets.iter().find(|f| f.kind == kind) {
                            return f.value.trim().parse().ok();
                        }
                        t = *base;
                    }
                    _ => return None,
                },
            }
        }
        None
    }

    fn facet_specs(&self, facets: &[schema::Facet]) -> Vec<FacetSpec> {
        facets
            .iter()
            .map(|f| FacetSpec {
                kind: to_facet_kind(f.kind),
                value: f.value.clone(),
                fixed: f.fixed,
                ns: self
                    .model
                    .namespace_scope(f.namespaces)
                    .map(|s| {
                        s.bindings
                            .iter()
                            .map(|(p, ns)| {
                                (
                                    p.as_deref().unwrap_or("").to_string(),
                                    self.namespaces.uri(*ns).unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    fn simple_type_body(
        &mut self,
        t: TypeIndex,
        def: &schema::SimpleTypeDef,
        depth: usize,
    ) -> Arc<SimpleType> {
        let fallback = SimpleType::builtin(Builtin::AnySimpleType);
        let name = def.name.as_ref().map(|q| q.local.to_string());
        let loc = def.location;
        let result = match &def.variety {
            SimpleVariety::Restriction { base, facets } => {
                let b = self.type_index(*base);
                if !self.check_simple_base(b, loc, depth) {
                    return fallback;
                }
                self.check_final(b, DerivationSet::RESTRICTION, loc, "st-props-correct.3");
                let Some(base_st) = self.simple_of(b, depth) else {
                    return fallback;
                };
                self.check_length_facets(facets, Some(*base), loc);
                if base_st.primitive() == Some(Builtin::Notation) {
                    self.check_notation_enumeration(facets, loc);
                }
                let specs = self.facet_specs(facets);
                SimpleType::restrict(&base_st, &specs, name)
            }
            SimpleVariety::List { item } => {
                let b = self.type_index(*item);
                if !self.check_simple_base(b, loc, depth) {
                    return fallback;
                }
                self.check_final(b, DerivationSet::LIST, loc, "cos-st-restricts.2.1");
                let Some(item_st) = self.simple_of(b, depth) else {
                    return fallback;
                };
                SimpleType::list(&item_st, name)
            }
            SimpleVariety::Union { members } => {
                let mut sts = Vec::new();
                for m in members {
                    let b = self.type_index(*m);
                    if !self.check_simple_base(b, loc, depth) {
                        return fallback;
                    }
                    self.check_final(b, DerivationSet::UNION, loc, "cos-st-restricts.3.1");
                    if let Some(st) = self.simple_of(b, depth) {
                        sts.push(st);
                    }
                }
                SimpleType::union(&sts, name)
            }
        };
        match result {
            Ok(st) => self.admit_simple(st, t, loc).unwrap_or(fallback),
            Err(e) => {
                self.error(loc, e.rule, e.message);
                fallback
            }
        }
    }

    /// `simple` (the simple type of type `t`, or of its simple content) if it stays within
    /// the limits of nesting and union expansion; else reports it. Values are checked by
    /// recursion through member and item types, and a union's members, shared, can expand
    /// to exponentially many checks (`union(U, U)` of `union(V, V)` ...); the cache refuses
    /// such sets when reading (`cache::shared`), and the compiler refuses them the same way
    /// (limits and weighing in `datatypes::weight`).
    fn admit_simple(
        &mut self,
        simple: SimpleType,
        t: TypeIndex,
        loc: Location,
    ) -> Option<Arc<SimpleType>> {
        let weight = self.weigh_new(&simple);
        if !weight.within_limits() {
            let what = self.type_display(t);
            let message = if weight.depth > MAX_SIMPLE_DEPTH {
                format!(
                    "simple type {what} nests {} levels of base, item and member types, more \
                     than the limit of {MAX_SIMPLE_DEPTH}",
                    weight.depth
                )
            } else {
                format!(
                    "checking a value of simple type {what} can take {} member type checks \
                     (union members expanded), more than the limit of {MAX_VALUE_CHECKS}",
                    weight.checks
                )
            };
            self.error(loc, "xsd-limit.simple-type", message);
            return None;
        }
        let simple = Arc::new(simple);
        let address = Arc::as_ptr(&simple) as usize;
        self.simple_weights
            .insert(address, (Arc::clone(&simple), weight));
        Some(simple)
    }

    /// The weight of a simple type not yet weighed, as `cache::shared` computes it when
    /// reading (built-ins weigh [`Weight::LEAF`]).
    fn weigh_new(&mut self, simple: &SimpleType) -> Weight {
        let referred: Vec<Arc<SimpleType>> = simple
            .base()
            .into_iter()
            .chain(simple.item_type())
            .chain(simple.member_types())
            .cloned()
            .collect();
        for r in referred {
            let address = Arc::as_ptr(&r) as usize;
            if r.static_builtin().is_none() && !self.simple_weights.contains_key(&address) {
                // Built elsewhere (not through `admit_simple`): weighed now, once.
                let weight = self.weigh_new(&r);
                self.simple_weights.insert(address, (r, weight));
            }
        }
        let weights = &self.simple_weights;
        simple_weight(simple, &|r| {
            weights
                .get(&(Arc::as_ptr(r) as usize))
                .map_or(Weight::LEAF, |&(_, w)| w)
        })
    }

    /// The value space of NOTATION is the names of the notations declared in the schema
    /// (Part 2, 3.2.19), so every enumerated value must name one (enumeration-valid-restriction).
    fn check_notation_enumeration(&mut self, facets: &[schema::Facet], loc: Location) {
        for f in facets {
            if f.kind != schema::FacetKind::Enumeration {
                continue;
            }
            let value = f
                .value
                .trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            let (prefix, local) = match value.split_once(':') {
                Some((p, l)) => (Some(p), l),
                None => (None, value),
            };
            let scope = self.model.namespace_scope(f.namespaces);
            let namespace = match scope.and_then(|s| s.lookup(prefix)) {
                Some(ns) => Some(ns),
                // An unprefixed name without a default namespace is in no namespace.
                None if prefix.is_none() => Some(schema::NamespaceId::ABSENT),
                // An undeclared prefix is reported when the value is parsed.
                None => None,
            };
            let Some(namespace) = namespace else {
                continue;
            };
            if self.model.global_notations.get(namespace, local).is_none() {
                let message =
                    format!("enumeration value '{value}' does not name a declared notation");
                self.error(loc, "enumeration-valid-restriction", message);
            }
        }
    }

    /// A simple type's base, item or member must be a simple type (not anyType, not complex).
    fn check_simple_base(&mut self, b: TypeIndex, loc: Location, depth: usize) -> bool {
        self.ensure_type(b, depth + 1);
        if self.is_simple_type(b) {
            return true;
        }
        let message = format!(
            "{} is not a simple type; expected a simple type as base, item or member type",
            self.type_display(b)
        );
        self.error(loc, "st-props-correct.1", message);
        false
    }

    fn check_final(
        &mut self,
        base: TypeIndex,
        method: DerivationSet,
        loc: Location,
        rule: &'static str,
    ) {
        let Some(b) = self.types.get(base.0 as usize) else {
            return;
        };
        if b.final_set.contains(method) {
            let message = format!(
                "the base type {} does not allow derivation by {} (final)",
                self.type_display(base),
                method_name(method)
            );
            self.error(loc, rule, message);
        }
    }

    fn complex_type_body(&mut self, t: TypeIndex, def: &schema::ComplexTypeDef, depth: usize) {
        let loc = def.location;
        let base = self.type_index(def.base);
        self.ensure_type(base, depth + 1);
        let (final_bit, final_rule) = match def.derivation {
            Derivation::Extension => (DerivationSet::EXTENSION, "cos-ct-extends.1.1"),
            Derivation::Restriction => (DerivationSet::RESTRICTION, "derivation-ok-restriction.1"),
        };
        self.check_final(base, final_bit, loc, final_rule);
        let base_is_simple = self.is_simple_type(base);

        // Content type.
        let (content, particle) = match &def.content {
            ComplexContent::Simple {
                simple_type,
                facets,
            } => (
                Content::Simple(simple_rule(self.simple_content(
                    t,
                    base,
                    def,
                    *simple_type,
                    facets,
                    depth,
                ))),
                None,
            ),
            ComplexContent::Complex { particle } => {
                if base_is_simple {
                    let message = format!(
                        "complex content cannot derive from the simple type {}",
                        self.type_display(base)
                    );
                    self.error(loc, "src-ct.1", message);
                }
                let explicit = particle.as_ref().filter(|p| !explicit_is_empty(p)).cloned();
                self.complex_content(t, base, def, explicit)
            }
        };

        // Attribute uses.
        let mut uses: Vec<AttributeUseRule> = Vec::new();
        let mut prohibited: Vec<NameId> = Vec::new();
        for u in &def.attribute_uses {
            let Some(a) = self.attributes.get(u.declaration.index()) else {
                continue;
            };
            let name = a.name;
            if u.use_kind == AttributeUseKind::Prohibited {
                prohibited.push(name);
                continue;
            }
            if uses.iter().any(|x| x.name == name) {
                continue;
            }
            let value = u.value_constraint.as_ref().map(|vc| ValueRule {
                fixed: matches!(vc, ValueConstraint::Fixed(_)),
                lexical: vc_text(vc).into(),
                value: None,
            });
            uses.push(AttributeUseRule {
                name,
                attribute: AttributeIndex(u.declaration.index() as u32),
                required: u.use_kind == AttributeUseKind::Required,
                value,
            });
        }
        let (base_uses, base_wildcard) = match self.types.get(base.0 as usize).map(|b| &b.body) {
            Some(TypeBody::Complex(c)) => (c.attributes.clone(), c.wildcard.clone()),
            _ => (Vec::new(), None),
        };
        // The complete wildcard: intersection of the local one and those of the groups.
        let mut complete: Option<WildcardRule> = None;
        for w in &def.attribute_wildcards {
            let r = wildcard_rule(w);
            complete = Some(match complete {
                None => r,
                Some(c) => match c.namespaces.intersect(&r.namespaces) {
                    Some(ns) => WildcardRule {
                        namespaces: ns,
                        process: c.process,
                    },
                    None => {
                        self.error(
                            w.location,
                            "src-wildcard",
                            "the intersection of the attribute wildcards is not expressible".into(),
                        );
                        c
                    }
                },
            });
        }
        let (attributes, wildcard) = match def.derivation {
            Derivation::Extension => {
                let mut all = base_uses;
                for u in uses {
                    if let Some(x) = all.iter_mut().find(|x| x.name == u.name) {
                        *x = u;
                    } else {
                        all.push(u);
                    }
                }
                let wildcard = match (complete, base_wildcard) {
                    (None, b) => b,
                    (Some(c), None) => Some(c),
                    (Some(c), Some(b)) => match c.namespaces.union(&b.namespaces) {
                        Some(namespaces) => Some(WildcardRule {
                            namespaces,
                            process: c.process,
                        }),
                        None => {
                            self.error(
                                loc,
                                "cos-aw-union",
                                "the union of the attribute wildcard with the base type's is not expressible (a negated namespace with a set that holds no namespace but not the negated one)".into(),
                            );
                            Some(c)
                        }
                    },
                };
                (all, wildcard)
            }
            Derivation::Restriction => {
                let mut all: Vec<AttributeUseRule> = Vec::new();
                for b in &base_uses {
                    if prohibited.contains(&b.name) {
                        if b.required {
                            let message = format!(
                                "attribute '{}' is required in the base type and cannot be prohibited",
                                self.names.local(b.name)
                            );
                            self.error(loc, "derivation-ok-restriction.3", message);
                        }
                        continue;
                    }
                    if !uses.iter().any(|u| u.name == b.name) {
                        all.push(b.clone());
                    }
                }
                let base_complex = !base_is_simple;
                for u in uses {
                    if base_complex && base != TypeIndex::ANY_TYPE {
                        match base_uses.iter().find(|b| b.name == u.name) {
                            Some(b) => {
                                if b.required && !u.required {
                                    let message = format!(
                                        "attribute '{}' is required in the base type; a restriction cannot make it optional",
                                        self.names.local(u.name)
                                    );
                                    self.error(loc, "derivation-ok-restriction.2.1.1", message);
                                }
                                self.check_restricted_attribute_type(
                                    u.attribute,
                                    b.attribute,
                                    loc,
                                    depth,
                                );
                            }
                            None => {
                                let ns = self.names.namespace(u.name);
                                if !base_wildcard
                                    .as_ref()
                                    .is_some_and(|w| w.namespaces.allows(ns))
                                {
                                    let message = format!(
                                        "attribute '{}' is neither declared in the base type nor allowed by its wildcard",
                                        self.names.local(u.name)
                                    );
                                    self.error(loc, "derivation-ok-restriction.2.2", message);
                                }
                            }
                        }
                    }
                    all.push(u);
                }
                if base_complex && base != TypeIndex::ANY_TYPE {
                    if let Some(c) = &complete {
                        let ok = base_wildcard
                            .as_ref()
                            .is_some_and(|b| c.namespaces.is_subset_of(&b.namespaces));
                        if !ok {
                            self.error(
                                loc,
                                "derivation-ok-restriction.4",
                                "the attribute wildcard is not a subset of the base type's wildcard".into(),
                            );
                        } else if base_wildcard.as_ref().is_some_and(|b| {
                            restriction::strength(c.process) < restriction::strength(b.process)
                        }) {
                            // Erratum E1-21 (XSD 1.0 second edition).
                            self.error(
                                loc,
                                "derivation-ok-restriction.4.3",
                                "the attribute wildcard's processContents is weaker than the base type's".into(),
                            );
                        }
                    }
                }
                (all, complete)
            }
        };
        let mut attributes = attributes;
        attributes.sort_by_key(|u| u.name);
        self.check_attribute_ids(&attributes, loc);
        let i = t.0 as usize;
        self.particles[i] = particle;
        self.types[i].body = TypeBody::Complex(ComplexRule {
            attributes,
            wildcard,
            content,
        });
    }

    /// derivation-ok-restriction.2.1.2: the type of an attribute in a restriction must be
    /// validly derived from its type in the base.
    pub(super) fn check_restricted_attribute_type(
        &mut self,
        derived: AttributeIndex,
        base: AttributeIndex,
        loc: Location,
        depth: usize,
    ) {
        if derived == base {
            return;
        }
        let type_of =
            |c: &Self, a: AttributeIndex| c.attributes.get(a.0 as usize).map(|r| r.type_index);
        let (Some(dt), Some(bt)) = (type_of(self, derived), type_of(self, base)) else {
            return;
        };
        let (Some(d), Some(b)) = (self.simple_of(dt, depth), self.simple_of(bt, depth)) else {
            return;
        };
        if !d.is_validly_derived_from(&b) {
            let message = format!(
                "the type of attribute '{}' ({}) is not derived from its type in the base type ({})",
                self.attributes
                    .get(derived.0 as usize)
                    .map_or("", |a| self.names.local(a.name)),
                self.type_display(dt),
                self.type_display(bt)
            );
            self.error(loc, "derivation-ok-restriction.2.1.2", message);
        }
    }

    /// ct-props-correct.5: at most one attribute of type ID.
    fn check_attribute_ids(&mut self, uses: &[AttributeUseRule], loc: Location) {
        let mut ids = 0;
        for u in uses {
            let Some(a) = self.attributes.get(u.attribute.0 as usize) else {
                continue;
            };
            let ti = a.type_index;
            self.ensure_type(ti, 1);
            if let Some(s) = self
                .types
                .get(ti.0 as usize)
                .and_then(TypeRule::simple_rule)
            {
                if s.id == IdKind::Id {
                    ids += 1;
                }
            }
        }
        if ids > 1 {
            self.error(
                loc,
                "ct-props-correct.5",
                "a complex type may have at most one attribute of type ID".into(),
            );
        }
    }

    fn simple_content(
        &mut self,
        t: TypeIndex,
        base: TypeIndex,
        def: &schema::ComplexTypeDef,
        simple_type: Option<schema::TypeId>,
        facets: &[schema::Facet],
        depth: usize,
    ) -> Arc<SimpleType> {
        let loc = def.location;
        let fallback = SimpleType::builtin(Builtin::AnySimpleType);
        let base_simple = self
            .types
            .get(base.0 as usize)
            .and_then(TypeRule::simple_rule)
            .map(|s| Arc::clone(&s.simple));
        let base_is_simple_type = self.is_simple_type(base);
        let base_mixed_emptiable = matches!(
            self.types.get(base.0 as usize).map(|t| &t.body),
            Some(TypeBody::Complex(ComplexRule {
                content: Content::Elements { automaton, mixed: true },
                ..
            })) if automaton.is_emptiable()
        );
        match def.derivation {
            Derivation::Extension => match base_simple {
                Some(st) => st,
                None => {
                    let message = format!(
                        "simple content cannot extend {}, which has no simple content",
                        self.type_display(base)
                    );
                    self.error(loc, "src-ct.2.1", message);
                    fallback
                }
            },
            Derivation::Restriction => {
                if base_is_simple_type {
                    let message = format!(
                        "simple content cannot restrict the simple type {}; use extension",
                        self.type_display(base)
                    );
                    self.error(loc, "src-ct.2.1", message);
                    return fallback;
                }
                let start = match (simple_type, base_simple) {
                    (Some(id), base_st) => {
                        let ti = TypeIndex((id.index() + BUILTIN_TYPES) as u32);
                        let Some(st) = self.simple_of(ti, depth) else {
                            return fallback;
                        };
                        if let Some(b) = base_st {
                            if !st.is_validly_derived_from(&b) {
                                self.error(
                                    loc,
                                    "derivation-ok-restriction.5.1.2",
                                    "the simple type of the content is not derived from the base's content type".into(),
                                );
                            }
                        } else if !base_mixed_emptiable {
                            self.error(loc, "src-ct.2.1", "the base type has no simple content and is not mixed and emptiable".into());
                        }
                        st
                    }
                    (None, Some(b)) => b,
                    (None, None) => {
                        let rule = if base_mixed_emptiable {
                            "src-ct.2.2"
                        } else {
                            "src-ct.2.1"
                        };
                        let message = format!(
                            "simple content cannot restrict {} without a simple type for its content",
                            self.type_display(base)
                        );
                        self.error(loc, rule, message);
                        return fallback;
                    }
                };
                if facets.is_empty() {
                    return start;
                }
                self.check_length_facets(facets, None, loc);
                let specs = self.facet_specs(facets);
                match SimpleType::restrict(&start, &specs, None) {
                    Ok(st) => self.admit_simple(st, t, loc).unwrap_or(fallback),
                    Err(e) => {
                        self.error(loc, e.rule, e.message);
                        fallback
                    }
                }
            }
        }
    }

    fn complex_content(
        &mut self,
        t: TypeIndex,
        base: TypeIndex,
        def: &schema::ComplexTypeDef,
        explicit: Option<schema::Particle>,
    ) -> (Content, Option<schema::Particle>) {
        let loc = def.location;
        let mut mixed = def.mixed;
        let effective = match def.derivation {
            Derivation::Restriction => explicit,
            Derivation::Extension => {
                enum BaseKind {
                    Simple(SimpleRule),
                    Elements(bool),
                    Other,
                }
                let base_kind = match self.types.get(base.0 as usize).map(|b| &b.body) {
                    Some(TypeBody::Complex(ComplexRule {
                        content: Content::Simple(s),
                        ..
                    })) => BaseKind::Simple(s.clone()),
                    Some(TypeBody::Complex(ComplexRule {
                        content: Content::Elements { mixed, .. },
                        ..
                    })) => BaseKind::Elements(*mixed),
                    _ => BaseKind::Other,
                };
                match base_kind {
                    BaseKind::Simple(s) => {
                        if explicit.is_some() {
                            let message = format!(
                                "cannot add element content to {}, which has simple content",
                                self.type_display(base)
                            );
                            self.error(loc, "cos-ct-extends.1.4.1", message);
                        }
                        return (Content::Simple(s), None);
                    }
                    BaseKind::Elements(base_mixed) => {
                        let base_particle = self.particles.get(base.0 as usize).cloned().flatten();
                        match (base_particle, explicit) {
                            (None, e) => e,
                            (Some(b), None) => {
                                // Locally empty: the base's content type, unless the type says
                                // mixed, which makes its effective content an empty sequence
                                // (3.4.2, clause 3.1.1), appended to an element-only base.
                                if def.mixed && !base_mixed {
                                    self.error(
                                        loc,
                                        "cos-ct-extends.1.4.3.2.2.1",
                                        "a mixed extension cannot extend a type with element-only content".into(),
                                    );
                                }
                                mixed = base_mixed;
                                Some(b)
                            }
                            (Some(b), Some(e)) => {
                                if base_mixed != def.mixed {
                                    self.error(
                                        loc,
                                        "cos-ct-extends.1.4.3.2.2.1",
                                        "an extension must be mixed exactly when its base type is mixed".into(),
                                    );
                                }
                                Some(schema::Particle {
                                    min_occurs: 1,
                                    max_occurs: schema::MaxOccurs::Bounded(1),
                                    location: e.location,
                                    term: Term::ModelGroup(schema::ModelGroup {
                                        compositor: Compositor::Sequence,
                                        particles: vec![b, e],
                                    }),
                                })
                            }
                        }
                    }
                    BaseKind::Other => explicit,
                }
            }
        };
        let Some(particle) = effective else {
            if mixed {
                // Mixed with no particle: text only; an automaton of the empty sequence.
                return match Automaton::compile(cm::Particle::once(cm::Term::Sequence(Vec::new())))
                {
                    Ok(automaton) => (Content::Elements { automaton, mixed }, None),
                    Err(_) => (Content::Empty, None),
                };
            }
            return (Content::Empty, None);
        };
        let lowered = self.lower_particle(&particle, 0);
        if let Some(l) = &lowered {
            self.check_element_consistency(l, loc);
        }
        let root = lowered.unwrap_or_else(|| cm::Particle::once(cm::Term::Sequence(Vec::new())));
        let _ = t;
        match Automaton::compile(root) {
            Ok(automaton) => (Content::Elements { automaton, mixed }, Some(particle)),
            Err(e) => {
                let rule = e.rule().unwrap_or("xsd-limit.content-model");
                let message = self.describe_model_error(&e);
                self.error(loc, rule, message);
                (Content::Empty, Some(particle))
            }
        }
    }

    /// cos-element-consistent: element particles with the same name in one content model
    /// (directly, in nested groups, or through substitution groups) have the same type.
    fn check_element_consistency(&mut self, root: &cm::Particle<Leaf>, loc: Location) {
        let mut seen: Vec<(NameId, TypeIndex)> = Vec::new();
        let mut conflict: Option<NameId> = None;
        let mut stack = vec![root];
        while let Some(p) = stack.pop() {
            match &p.term {
                cm::Term::Leaf(Leaf::Element { head, names }) => {
                    for l in names.of(head) {
                        let Some(t) = self
                            .elements
                            .get(l.element.0 as usize)
                            .map(|e| e.type_index)
                        else {
                            continue;
                        };
                        match seen.iter().find(|(n, _)| *n == l.name) {
                            Some(&(_, other)) if other != t => conflict = Some(l.name),
                            Some(_) => {}
                            None => seen.push((l.name, t)),
                        }
                    }
                }
                cm::Term::Leaf(Leaf::Wildcard(_)) => {}
                cm::Term::Sequence(c) | cm::Term::Choice(c) | cm::Term::All(c) => {
                    stack.extend(c.iter())
                }
            }
        }
        if let Some(name) = conflict {
            let message = format!(
                "elements named '{}' in this content model have different types",
                self.names.local(name)
            );
            self.error(loc, "cos-element-consistent", message);
        }
    }

    fn describe_model_error(&self, e: &cm::ContentModelError) -> String {
        e.to_string()
    }

    /// Converts a model particle to the content-model form: groups inlined, element particles
    /// with their substitution group members. `None` for pointless particles.
    fn lower_particle(&mut self, p: &schema::Particle, depth: usize) -> Option<cm::Particle<Leaf>> {
        if depth > MAX_DEPTH {
            self.error(
                p.location,
                "xsd-limit.depth",
                "model groups nested too deeply".into(),
            );
            return None;
        }
        let min = occurs(p.min_occurs);
        let max = max_occurs(p.max_occurs);
        let term = match &p.term {
            Term::Element(e) => cm::Term::Leaf(self.element_leaf(ElementIndex(e.index() as u32))),
            Term::Wildcard(w) => cm::Term::Leaf(Leaf::Wildcard(wildcard_rule(w))),
            Term::Group(g) => {
                let group = self.model.groups.get(g.index())?.model_group.clone();
                self.lower_group(&group, depth)
            }
            Term::ModelGroup(g) => self.lower_group(g, depth),
        };
        Some(cm::Particle::new(min, max, term))
    }

    fn lower_group(&mut self, g: &schema::ModelGroup, depth: usize) -> cm::Term<Leaf> {
        let children: Vec<cm::Particle<Leaf>> = g
            .particles
            .iter()
            .filter_map(|c| self.lower_particle(c, depth + 1))
            .collect();
        match g.compositor {
            Compositor::Sequence => cm::Term::Sequence(children),
            Compositor::Choice => cm::Term::Choice(children),
            Compositor::All => cm::Term::All(children),
        }
    }

    fn element_leaf(&self, e: ElementIndex) -> Leaf {
        let mut names = Vec::new();
        let head = self.elements.get(e.0 as usize).map(|rule| LeafName {
            name: rule.name,
            namespace: rule.namespace,
            element: e,
        });
        if let Some(rule) = self.elements.get(e.0 as usize) {
            names.extend(head);
            if rule.global {
                for &m in self.members.get(e.0 as usize).into_iter().flatten() {
                    if let Some(mr) = self.elements.get(m.0 as usize) {
                        names.push(LeafName {
                            name: mr.name,
                            namespace: mr.namespace,
                            element: m,
                        });
                    }
                }
            }
        }
        names.sort_by_key(|l| l.name);
        names.dedup_by_key(|l| l.name);
        let head = head.unwrap_or(LeafName {
            name: NameId(u32::MAX),
            namespace: NamespaceId::ABSENT,
            element: e,
        });
        let names = LeafNames::new(&head, names);
        Leaf::Element { head, names }
    }

    // ---- pass 4: value constraints ----------------------------------------------------------

    fn value_constraints(&mut self) {
        for i in 0..self.model.elements.len() {
            let e = &self.model.elements[i];
            let Some(vc) = e.value_constraint.clone() else {
                continue;
            };
            let (loc, scope, local) = (e.location, e.namespaces, e.name.local.clone());
            let t = self.elements[i].type_index;
            let value = self.element_value(t, &vc, scope, loc, &local);
            self.elements[i].value = value;
        }
        for i in 0..self.model.attributes.len() {
            let a = &self.model.attributes[i];
            let Some(vc) = a.value_constraint.clone() else {
                continue;
            };
            let (loc, scope, local) = (a.location, a.namespaces, a.name.local.clone());
            let t = self.attributes[i].type_index;
            let value = self.attribute_value(t, &vc, scope, loc, &local, "a-props-correct.2");
            self.attributes[i].value = value;
        }
        // Attribute uses: their own value constraints, checked against the declaration's type
        // and, for a fixed declaration, equal to it (au-props-correct.2).
        for ti in 0..self.types.len() {
            let Some(model_index) = ti.checked_sub(BUILTIN_TYPES) else {
                continue;
            };
            let Some(TypeDef::Complex(def)) = self.model.types.get(model_index) else {
                continue;
            };
            let loc = def.location;
            let TypeBody::Complex(c) = &self.types[ti].body else {
                continue;
            };
            let mut uses = c.attributes.clone();
            for u in uses.iter_mut() {
                let Some(decl) = self.attributes.get(u.attribute.0 as usize) else {
                    continue;
                };
                let decl_value = decl.value.clone();
                let at = decl.type_index;
                let local: Box<str> = self.names.local(decl.name).into();
                match u.value.take() {
                    Some(own) => {
                        let vc = if own.fixed {
                            ValueConstraint::Fixed(own.lexical.to_string())
                        } else {
                            ValueConstraint::Default(own.lexical.to_string())
                        };
                        let scope = self.use_scope(model_index, u.attribute);
                        let v =
                            self.attribute_value(at, &vc, scope, loc, &local, "au-props-correct.1");
                        if let (Some(d), Some(v)) = (&decl_value, &v) {
                            if d.fixed && (!v.fixed || d.value != v.value) {
                                let message = format!(
                                    "attribute '{local}' has the fixed value '{}' in its declaration; the use must not change it",
                                    d.lexical
                                );
                                self.error(loc, "au-props-correct.2", message);
                            }
                        }
                        u.value = v;
                    }
                    None => u.value = decl_value,
                }
            }
            if let TypeBody::Complex(c) = &mut self.types[ti].body {
                c.attributes = uses;
            }
        }
    }

    /// The scope of an attribute use's value constraint: the type's own use if it has one
    /// (inherited uses fall back to the declaration's scope).
    fn use_scope(&self, model_index: usize, attribute: AttributeIndex) -> NamespaceScopeId {
        if let Some(TypeDef::Complex(def)) = self.model.types.get(model_index) {
            for u in &def.attribute_uses {
                if u.declaration.index() == attribute.0 as usize {
                    if let Some(a) = self.model.attributes.get(u.declaration.index()) {
                        return a.namespaces;
                    }
                }
            }
        }
        self.model
            .attributes
            .get(attribute.0 as usize)
            .map_or(NamespaceScopeId(0), |a| a.namespaces)
    }

    fn attribute_value(
        &mut self,
        t: TypeIndex,
        vc: &ValueConstraint,
        scope: NamespaceScopeId,
        loc: Location,
        local: &str,
        rule: &'static str,
    ) -> Option<ValueRule> {
        let st = self
            .types
            .get(t.0 as usize)
            .and_then(TypeRule::simple_rule)
            .cloned()?;
        if st.id == IdKind::Id {
            let message =
                format!("attribute '{local}' of type ID cannot have a default or fixed value");
            self.error(loc, "a-props-correct.3", message);
            return None;
        }
        self.parse_value(&st.simple, vc, scope, loc, local, rule)
    }

    fn parse_value(
        &mut self,
        st: &Arc<SimpleType>,
        vc: &ValueConstraint,
        scope: NamespaceScopeId,
        loc: Location,
        local: &str,
        rule: &'static str,
    ) -> Option<ValueRule> {
        let lexical = vc_text(vc);
        let ctx = ScopeContext {
            model: &self.model,
            scope,
        };
        match st.parse(lexical, &ctx) {
            Ok(v) => Some(ValueRule {
                fixed: matches!(vc, ValueConstraint::Fixed(_)),
                lexical: lexical.into(),
                value: Some(v),
            }),
            Err(e) => {
                let message = format!(
                    "the {} value '{}' of '{local}' is not valid for its type: {}",
                    if matches!(vc, ValueConstraint::Fixed(_)) {
                        "fixed"
                    } else {
                        "default"
                    },
                    lexical,
                    e.message
                );
                self.error(loc, rule, message);
                None
            }
        }
    }

    fn element_value(
        &mut self,
        t: TypeIndex,
        vc: &ValueConstraint,
        scope: NamespaceScopeId,
        loc: Location,
        local: &str,
    ) -> Option<ValueRule> {
        let body = self.types.get(t.0 as usize).map(|t| &t.body);
        match body {
            Some(TypeBody::Simple(s))
            | Some(TypeBody::Complex(ComplexRule {
                content: Content::Simple(s),
                ..
            })) => {
                let s = s.clone();
                if s.id == IdKind::Id {
                    let message = format!(
                        "element '{local}' of type ID cannot have a default or fixed value"
                    );
                    self.error(loc, "e-props-correct.5", message);
                    return None;
                }
                self.parse_value(&s.simple, vc, scope, loc, local, "e-props-correct.2")
            }
            Some(TypeBody::Complex(ComplexRule {
                content:
                    Content::Elements {
                        automaton,
                        mixed: true,
                    },
                ..
            })) if automaton.is_emptiable() => Some(ValueRule {
                fixed: matches!(vc, ValueConstraint::Fixed(_)),
                lexical: vc_text(vc).into(),
                value: None,
            }),
            _ => {
                let message = format!(
                    "element '{local}' has a default or fixed value but its type has neither simple content nor mixed, emptiable content"
                );
                self.error(loc, "cos-valid-default.2.1", message);
                None
            }
        }
    }
}

fn hd_final(model: &SchemaModel, head: ElementId) -> DerivationSet {
    model
        .element_decl(head)
        .map_or(DerivationSet::EMPTY, |h| h.final_set)
}

fn vc_text(vc: &ValueConstraint) -> &str {
    match vc {
        ValueConstraint::Default(s) | ValueConstraint::Fixed(s) => s,
    }
}

fn method_name(m: DerivationSet) -> &'static str {
    if m == DerivationSet::EXTENSION {
        "extension"
    } else if m == DerivationSet::RESTRICTION {
        "restriction"
    } else if m == DerivationSet::LIST {
        "list"
    } else if m == DerivationSet::UNION {
        "union"
    } else {
        "substitution"
    }
}
