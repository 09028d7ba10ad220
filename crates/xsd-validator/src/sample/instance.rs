//! The walk over the component model that builds a valid document tree.
//!
//! Effective content models are assembled here (the model keeps what each definition wrote):
//! an extension's content is its base's followed by its own, a restriction's is its own;
//! attribute uses are inherited down the chain, overridden by name, removed by `prohibited`.

use crate::datatypes::Builtin;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::datatypes::NamespaceContext;
use crate::schema::{
    AttributeUse, AttributeUseKind, ComplexContent, ComplexTypeDef, Compositor, Derivation,
    DerivationSet, ElementDecl, ElementId, IdentityConstraintId, IdentityConstraintKind, MaxOccurs,
    ModelGroup, NamespaceConstraint, NamespaceId, Particle, ProcessContents, SchemaModel,
    SimpleVariety, Term, TypeDef, TypeId, TypeRef, ValueConstraint, Wildcard,
};

use super::document::{self, Attribute, Content, Node, Prefixes, XSI_NS};
use super::keys::{self, Step};
use super::rng::Rng;
use super::simple_value::{self, SimpleInfo, SimpleTypes, ValueEnv, IDREF_MARK};
use super::{ChoiceStrategy, Optionality, SampleError, SampleOptions};

/// Depth beyond `max_depth` at which even required content is refused (endless recursion).
const HARD_DEPTH_MARGIN: usize = 64;
/// Cost of content that cannot be finished (a cycle or nothing instantiable).
const INFINITE: u64 = u64::MAX / 4;
/// Namespace for elements invented for lax/skip wildcards that exclude every known one.
const INVENTED_NS: &str = "urn:example:sample";

pub(crate) fn generate(
    model: &SchemaModel,
    root: (Option<&str>, &str),
    options: &SampleOptions,
) -> Result<String, SampleError> {
    let Some(root_id) = model.element(root.0, root.1) else {
        return Err(SampleError::UnknownRoot {
            name: match root.0 {
                Some(ns) => format!("{{{ns}}}{}", root.1),
                None => root.1.to_owned(),
            },
        });
    };
    let mut g = Generator::new(model, options);
    let mut tree = g.element(root_id, 0, "", &[])?;
    g.resolve_idrefs(&mut tree)?;
    Ok(document::serialize(&tree, &g.prefixes))
}

struct Generator<'m> {
    model: &'m SchemaModel,
    options: &'m SampleOptions,
    rng: Rng,
    simple: SimpleTypes<'m>,
    prefixes: Prefixes,
    /// IDs written so far, in order.
    ids: Vec<String>,
    id_set: HashSet<String>,
    serial: u64,
    elements: usize,
    /// Namespace of the element being written (for QName values).
    home: Option<String>,
    /// Direct substitution group members by head.
    members: HashMap<ElementId, Vec<ElementId>>,
    concrete_types: HashMap<TypeId, Vec<TypeId>>,
    element_costs: HashMap<ElementId, u64>,
    type_costs: HashMap<TypeId, u64>,
    costing: HashSet<TypeId>,
    /// Values of each key/unique constraint enforced so far, for keyrefs.
    key_tables: HashMap<IdentityConstraintId, Vec<Vec<String>>>,
}

/// A path below the current element that must exist (key fields): each step says whether it
/// is forced (a field step) or only followed (a selector step).
type Required = Vec<(Step, bool)>;

impl ValueEnv for Generator<'_> {
    fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    fn namespaces(&self) -> &dyn NamespaceContext {
        &self.prefixes
    }

    fn prefix_for(&mut self, uri: &str) -> String {
        self.prefixes.prefix_for(uri)
    }

    fn home_namespace(&self) -> Option<String> {
        self.home.clone()
    }

    fn claim_id(&mut self, id: &str) -> bool {
        if self.id_set.insert(id.to_owned()) {
            self.ids.push(id.to_owned());
            true
        } else {
            false
        }
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }
}

impl<'m> Generator<'m> {
    fn new(model: &'m SchemaModel, options: &'m SampleOptions) -> Generator<'m> {
        let mut members: HashMap<ElementId, Vec<ElementId>> = HashMap::new();
        for (i, e) in model.elements.iter().enumerate() {
            if let (Some(head), Ok(i)) = (e.substitution_group, u32::try_from(i)) {
                members.entry(head).or_default().push(ElementId(i));
            }
        }
        Generator {
            model,
            options,
            rng: Rng::new(options.seed),
            simple: SimpleTypes::new(model),
            prefixes: Prefixes::new(model),
            ids: Vec::new(),
            id_set: HashSet::new(),
            serial: 0,
            elements: 0,
            home: None,
            members,
            concrete_types: HashMap::new(),
            element_costs: HashMap::new(),
            type_costs: HashMap::new(),
            costing: HashSet::new(),
            key_tables: HashMap::new(),
        }
    }

    /// Past the depth or size limit only required content is generated.
    fn frugal(&self, depth: usize) -> bool {
        depth > self.options.max_depth || self.elements >= self.options.max_elements
    }

    fn uri(&self, ns: NamespaceId) -> Option<&'m str> {
        self.model.namespaces.uri(ns)
    }

    fn decl(&self, id: ElementId) -> Result<&'m ElementDecl, SampleError> {
        self.model
            .element_decl(id)
            .ok_or_else(|| SampleError::Abstract {
                what: format!("element #{}", id.index()),
            })
    }

    fn complex(&self, id: TypeId) -> Option<&'m ComplexTypeDef> {
        match self.model.type_def(id) {
            Some(TypeDef::Complex(c)) => Some(c),
            _ => None,
        }
    }

    // ---- elements -------------------------------------------------------------------------

    fn element(
        &mut self,
        id: ElementId,
        depth: usize,
        path: &str,
        parent_required: &[Required],
    ) -> Result<Node, SampleError> {
        let id = self.substitute(id, depth)?;
        let decl = self.decl(id)?;
        let path = format!("{path}/{}", decl.name.local);
        if depth > self.options.max_depth + HARD_DEPTH_MARGIN {
            return Err(SampleError::TooDeep {
                limit: self.options.max_depth + HARD_DEPTH_MARGIN,
                path,
            });
        }
        self.elements += 1;
        let uri = self.uri(decl.name.namespace);
        let name = self.prefixes.name(uri, &decl.name.local);
        // Required paths continue below this element when their first step names it.
        let mut required: Vec<Required> = parent_required
            .iter()
            .filter(|r| {
                r.first()
                    .is_some_and(|(s, _)| !s.attribute && s.matches(&name))
            })
            .map(|r| r.get(1..).unwrap_or_default().to_vec())
            .filter(|r| !r.is_empty())
            .collect();
        required.extend(self.key_paths(decl));
        let mut node = Node {
            name,
            attributes: Vec::new(),
            content: Content::Empty,
            value_type: None,
        };
        let mut type_def = decl.type_def;
        if let TypeRef::Defined(t) = decl.type_def {
            if self.complex(t).is_some_and(|c| c.is_abstract) {
                let concrete = self.concrete_type(t, decl.block, depth)?;
                if let Some(name) = self.model.type_def(concrete).and_then(|d| d.name()) {
                    let value = self.prefixes.qualify(self.uri(name.namespace), &name.local);
                    node.attributes.push(Attribute {
                        name: self.prefixes.name(Some(XSI_NS), "type"),
                        value,
                        value_type: None,
                    });
                }
                type_def = TypeRef::Defined(concrete);
            }
        }
        let saved_home = std::mem::replace(&mut self.home, uri.map(str::to_owned));
        let result = self.fill(
            &mut node,
            type_def,
            decl.value_constraint.as_ref(),
            depth,
            &path,
            &required,
        );
        self.home = saved_home;
        result?;
        if !decl.identity_constraints.is_empty() {
            self.enforce_identity(&mut node, decl, &path)?;
        }
        Ok(node)
    }

    /// Writes attributes and content of `type_def` into `node`.
    fn fill(
        &mut self,
        node: &mut Node,
        type_def: TypeRef,
        value_constraint: Option<&ValueConstraint>,
        depth: usize,
        path: &str,
        required: &[Required],
    ) -> Result<(), SampleError> {
        let fixed = match value_constraint {
            Some(ValueConstraint::Fixed(v)) => Some(v.clone()),
            _ => None,
        };
        let tid = match type_def {
            TypeRef::AnyType => {
                node.content = fixed.map_or(Content::Empty, Content::Text);
                return Ok(());
            }
            TypeRef::Builtin(_) => {
                return self.text(node, fixed, || Ok(None), type_def);
            }
            TypeRef::Defined(t) => t,
        };
        let Some(ct) = self.complex(tid) else {
            return self.text(node, fixed, || Ok(None), type_def);
        };
        self.attributes(node, tid, depth, required)?;
        if matches!(ct.content, ComplexContent::Simple { .. }) {
            let info = self.simple.content_type(tid)?;
            return self.text(node, fixed, || Ok(Some(info)), type_def);
        }
        let mut children = Vec::new();
        // A fixed value on mixed content is text only.
        if fixed.is_none() {
            for p in self.content_particles(tid) {
                self.particle(p, &mut children, depth, path, required)?;
            }
        }
        node.content = if ct.mixed {
            let text = fixed.unwrap_or_else(|| {
                if children.is_empty() {
                    "Text".to_owned()
                } else {
                    String::new()
                }
            });
            Content::Mixed { text, children }
        } else {
            Content::Elements(children)
        };
        Ok(())
    }

    /// Simple content: the fixed value, or a generated one (of `info`, else of `type_def`).
    fn text(
        &mut self,
        node: &mut Node,
        fixed: Option<String>,
        info: impl FnOnce() -> Result<Option<Arc<SimpleInfo>>, SampleError>,
        type_def: TypeRef,
    ) -> Result<(), SampleError> {
        if let Some(v) = fixed {
            node.content = Content::Text(v);
            return Ok(());
        }
        let info = match info()? {
            Some(i) => i,
            None => self.simple.get(type_def)?,
        };
        let text = simple_value::generate(&info, self.model, self)?;
        node.content = Content::Text(text);
        node.value_type = Some(info);
        Ok(())
    }

    /// The particles of a complex type's effective content model, in order.
    fn content_particles(&self, tid: TypeId) -> Vec<&'m Particle> {
        let mut chain = Vec::new();
        let mut cur = Some(tid);
        // Extension prepends the base's content; restriction replaces it.
        while let Some(t) = cur.take() {
            let Some(ct) = self.complex(t) else { break };
            chain.push(ct);
            if ct.derivation == Derivation::Extension && chain.len() < 256 {
                if let TypeRef::Defined(b) = ct.base {
                    cur = Some(b);
                }
            }
        }
        chain
            .iter()
            .rev()
            .filter_map(|ct| match &ct.content {
                ComplexContent::Complex { particle } => particle.as_ref(),
                ComplexContent::Simple { .. } => None,
            })
            .collect()
    }

    // ---- attributes -----------------------------------------------------------------------

    /// Effective attribute uses: inherited from the base chain, overridden by name.
    fn attribute_uses(&self, tid: TypeId) -> Vec<&'m AttributeUse> {
        let mut chain = Vec::new();
        let mut cur = Some(tid);
        while let Some(t) = cur.take() {
            let Some(ct) = self.complex(t) else { break };
            chain.push(ct);
            if let (TypeRef::Defined(b), true) = (ct.base, chain.len() < 256) {
                cur = Some(b);
            }
        }
        let mut uses: Vec<&'m AttributeUse> = Vec::new();
        for ct in chain.iter().rev() {
            for u in &ct.attribute_uses {
                let name = self
                    .model
                    .attribute_decl(u.declaration)
                    .map(|d| d.name.clone());
                uses.retain(|old| {
                    self.model
                        .attribute_decl(old.declaration)
                        .map(|d| d.name.clone())
                        != name
                });
                uses.push(u);
            }
        }
        uses
    }

    fn attributes(
        &mut self,
        node: &mut Node,
        tid: TypeId,
        depth: usize,
        required: &[Required],
    ) -> Result<(), SampleError> {
        let frugal = self.frugal(depth);
        for u in self.attribute_uses(tid) {
            let Some(decl) = self.model.attribute_decl(u.declaration) else {
                continue;
            };
            let name = self
                .prefixes
                .name(self.uri(decl.name.namespace), &decl.name.local);
            let forced = || {
                required.iter().any(|r| {
                    r.len() == 1
                        && r.first()
                            .is_some_and(|(s, f)| *f && s.attribute && s.matches(&name))
                })
            };
            let present = match u.use_kind {
                AttributeUseKind::Prohibited => false,
                AttributeUseKind::Required => true,
                AttributeUseKind::Optional => forced() || (!frugal && self.optional_present()),
            };
            if !present {
                continue;
            }
            let (value, value_type) = match u
                .value_constraint
                .as_ref()
                .or(decl.value_constraint.as_ref())
            {
                Some(ValueConstraint::Fixed(v)) => (v.clone(), None),
                _ => {
                    let info = self.simple.get(decl.type_def)?;
                    (simple_value::generate(&info, self.model, self)?, Some(info))
                }
            };
            node.attributes.push(Attribute {
                name,
                value,
                value_type,
            });
        }
        Ok(())
    }

    fn optional_present(&mut self) -> bool {
        match self.options.optional_elements {
            Optionality::Minimal => false,
            Optionality::All => true,
            Optionality::Random(p) => self.rng.chance(p),
        }
    }

    // ---- particles ------------------------------------------------------------------------

    fn occurrences(&mut self, p: &Particle, depth: usize, forced: bool) -> u64 {
        let max = match p.max_occurs {
            MaxOccurs::Bounded(m) => m,
            MaxOccurs::Unbounded => u64::MAX,
        };
        let min = if forced {
            p.min_occurs.max(1)
        } else {
            p.min_occurs
        };
        if self.frugal(depth) || max == 0 {
            return min.min(max);
        }
        if min == 0 && !self.optional_present() {
            return 0;
        }
        let cap = max.min(u64::from(self.options.max_repeat.max(1)));
        let n = match self.options.optional_elements {
            Optionality::Minimal => p.min_occurs,
            Optionality::All => cap,
            Optionality::Random(_) => self.rng.range(1, cap),
        };
        n.max(min).min(max)
    }

    fn particle(
        &mut self,
        p: &'m Particle,
        out: &mut Vec<Node>,
        depth: usize,
        path: &str,
        required: &[Required],
    ) -> Result<(), SampleError> {
        let forced = self.forced(&p.term, required);
        let n = self.occurrences(p, depth, forced);
        for _ in 0..n {
            self.term(&p.term, p, out, depth, path, required)?;
        }
        Ok(())
    }

    /// Whether `term` contains an element that a required path forces here.
    fn forced(&self, term: &'m Term, required: &[Required]) -> bool {
        required.iter().any(|r| {
            r.first()
                .is_some_and(|(s, f)| *f && !s.attribute && self.mentions(term, s, 0))
        })
    }

    fn mentions(&self, term: &'m Term, step: &Step, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        let group = |mg: &'m ModelGroup| {
            mg.particles
                .iter()
                .any(|p| self.mentions(&p.term, step, depth + 1))
        };
        match term {
            Term::Element(e) => {
                let mut names = vec![*e];
                names.extend(self.members.get(e).cloned().unwrap_or_default());
                names.iter().any(|id| {
                    self.model.element_decl(*id).is_some_and(|d| {
                        step.matches(&document::Name {
                            written: String::new(),
                            namespace: self.uri(d.name.namespace).map(str::to_owned),
                            local: d.name.local.to_string(),
                        })
                    })
                })
            }
            Term::Group(g) => self
                .model
                .groups
                .get(g.index())
                .is_some_and(|d| group(&d.model_group)),
            Term::ModelGroup(mg) => group(mg),
            Term::Wildcard(_) => false,
        }
    }

    fn term(
        &mut self,
        term: &'m Term,
        p: &'m Particle,
        out: &mut Vec<Node>,
        depth: usize,
        path: &str,
        required: &[Required],
    ) -> Result<(), SampleError> {
        match term {
            Term::Element(e) => {
                let node = self.element(*e, depth + 1, path, required)?;
                out.push(node);
                Ok(())
            }
            Term::Group(g) => match self.model.groups.get(g.index()) {
                Some(def) => self.model_group(&def.model_group, out, depth, path, required),
                None => Ok(()),
            },
            Term::ModelGroup(mg) => self.model_group(mg, out, depth, path, required),
            Term::Wildcard(w) => self.wildcard(w, p, out, depth, path),
        }
    }

    fn model_group(
        &mut self,
        mg: &'m ModelGroup,
        out: &mut Vec<Node>,
        depth: usize,
        path: &str,
        required: &[Required],
    ) -> Result<(), SampleError> {
        match mg.compositor {
            // xs:all accepts any order; the written one is as good as any.
            Compositor::Sequence | Compositor::All => {
                for p in &mg.particles {
                    self.particle(p, out, depth, path, required)?;
                }
                Ok(())
            }
            Compositor::Choice => {
                let mut order = self.branch_order(&mg.particles, depth);
                // A branch holding a forced element goes first.
                if let Some(k) = order.iter().position(|&i| {
                    mg.particles
                        .get(i)
                        .is_some_and(|p| self.forced(&p.term, required))
                }) {
                    let i = order.remove(k);
                    order.insert(0, i);
                }
                let mut last = None;
                for i in order {
                    let Some(p) = mg.particles.get(i) else {
                        continue;
                    };
                    // A branch that fails (nothing instantiable) leaves no trace.
                    let mut tmp = Vec::new();
                    match self.particle(p, &mut tmp, depth, path, required) {
                        Ok(()) => {
                            out.append(&mut tmp);
                            return Ok(());
                        }
                        Err(e @ SampleError::TooDeep { .. }) => return Err(e),
                        Err(e) => last = Some(e),
                    }
                }
                match last {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }
        }
    }

    /// Branches of a choice in the order to try: the strategy's pick first, the others by
    /// cost; past the limits, cheapest first.
    fn branch_order(&mut self, particles: &'m [Particle], depth: usize) -> Vec<usize> {
        let costs: Vec<u64> = particles.iter().map(|p| self.particle_cost(p)).collect();
        let mut order: Vec<usize> = (0..particles.len()).collect();
        order.sort_by_key(|&i| costs.get(i).copied().unwrap_or(INFINITE));
        if self.frugal(depth) || particles.is_empty() {
            return order;
        }
        let first = match self.options.choice {
            ChoiceStrategy::First => 0,
            ChoiceStrategy::Random => self.rng.index(particles.len()),
        };
        order.retain(|&i| i != first);
        order.insert(0, first);
        order
    }

    fn wildcard(
        &mut self,
        w: &'m Wildcard,
        p: &'m Particle,
        out: &mut Vec<Node>,
        depth: usize,
        path: &str,
    ) -> Result<(), SampleError> {
        let allowed = |ns: NamespaceId| match &w.namespaces {
            NamespaceConstraint::Any => true,
            NamespaceConstraint::Not(n) => ns != *n && ns != NamespaceId::ABSENT,
            NamespaceConstraint::Set(set) => set.contains(&ns),
        };
        let mut candidates: Vec<(u64, ElementId)> = Vec::new();
        for (ns, _, id) in self.model.global_elements.iter() {
            if allowed(ns) {
                let cost = self.element_cost(id);
                if cost < INFINITE {
                    candidates.push((cost, id));
                }
            }
        }
        // The map has no order; sort for determinism.
        candidates.sort();
        if let Some(&(_, id)) = candidates.first() {
            let node = self.element(id, depth + 1, path, &[])?;
            out.push(node);
            return Ok(());
        }
        if w.process_contents == ProcessContents::Strict && p.min_occurs == 0 {
            // An optional wildcard is left out when nothing can match it.
            return Ok(());
        }
        if w.process_contents == ProcessContents::Strict {
            let doc = self
                .model
                .document_path(p.location)
                .and_then(|d| d.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(SampleError::Wildcard {
                location: format!("{doc}:{}{path}", p.location.line),
            });
        }
        // Lax or skip: an element nobody declares is accepted as it is.
        let uri = match &w.namespaces {
            NamespaceConstraint::Any => None,
            NamespaceConstraint::Not(_) => Some(INVENTED_NS),
            NamespaceConstraint::Set(set) => set.first().and_then(|n| self.uri(*n)),
        };
        let name = self.prefixes.name(uri, "beliebig");
        out.push(Node {
            name,
            attributes: Vec::new(),
            content: Content::Empty,
            value_type: None,
        });
        Ok(())
    }

    // ---- substitution and derived types ---------------------------------------------------

    /// The element to write for a reference to `id`: itself unless it is abstract (then a
    /// substitution group member), or a random eligible member under `ChoiceStrategy::Random`.
    fn substitute(&mut self, id: ElementId, depth: usize) -> Result<ElementId, SampleError> {
        let decl = self.decl(id)?;
        let random = self.options.choice == ChoiceStrategy::Random && !self.frugal(depth);
        if !decl.is_abstract && !random {
            return Ok(id);
        }
        let mut eligible: Vec<ElementId> = if decl.is_abstract { vec![] } else { vec![id] };
        if !decl.block.contains(DerivationSet::SUBSTITUTION) {
            let mut stack = self.members.get(&id).cloned().unwrap_or_default();
            let mut seen = HashSet::new();
            while let Some(m) = stack.pop() {
                if !seen.insert(m) {
                    continue;
                }
                if let Some(more) = self.members.get(&m) {
                    stack.extend(more.iter().copied());
                }
                let Some(md) = self.model.element_decl(m) else {
                    continue;
                };
                let blocked = self
                    .derivation_methods(md.type_def, decl.type_def)
                    .is_none_or(|methods| {
                        let block = decl.block.union(self.type_block(decl.type_def));
                        methods.bits() & block.bits() != 0
                    });
                if !md.is_abstract && !blocked {
                    eligible.push(m);
                }
            }
        }
        eligible.sort();
        eligible.dedup();
        if eligible.is_empty() {
            return Err(SampleError::Abstract {
                what: format!("element {}", self.model.display_name(&decl.name)),
            });
        }
        if random {
            let i = self.rng.index(eligible.len());
            return Ok(eligible.get(i).copied().unwrap_or(id));
        }
        // Cheapest first: the member that finishes soonest.
        let pick = eligible
            .iter()
            .copied()
            .min_by_key(|&m| (self.element_cost(m), m));
        pick.ok_or_else(|| SampleError::Abstract {
            what: format!("element {}", self.model.display_name(&decl.name)),
        })
    }

    fn type_block(&self, t: TypeRef) -> DerivationSet {
        match t {
            TypeRef::Defined(id) => self.complex(id).map_or(DerivationSet::EMPTY, |c| c.block),
            TypeRef::AnyType | TypeRef::Builtin(_) => DerivationSet::EMPTY,
        }
    }

    /// The derivation methods on the way from `from` up to `to`; `None` if `to` is not an
    /// ancestor.
    fn derivation_methods(&self, from: TypeRef, to: TypeRef) -> Option<DerivationSet> {
        let mut methods = DerivationSet::EMPTY;
        let mut cur = from;
        for _ in 0..256 {
            if cur == to || to == TypeRef::AnyType {
                return Some(methods);
            }
            match cur {
                TypeRef::AnyType => return None,
                TypeRef::Builtin(_) => {
                    // Built-in chains end at anySimpleType.
                    return (to == TypeRef::Builtin(Builtin::AnySimpleType))
                        .then_some(methods.union(DerivationSet::RESTRICTION));
                }
                TypeRef::Defined(id) => match self.model.type_def(id)? {
                    TypeDef::Complex(c) => {
                        methods = methods.union(match c.derivation {
                            Derivation::Extension => DerivationSet::EXTENSION,
                            Derivation::Restriction => DerivationSet::RESTRICTION,
                        });
                        cur = c.base;
                    }
                    TypeDef::Simple(s) => {
                        methods = methods.union(DerivationSet::RESTRICTION);
                        cur = match &s.variety {
                            SimpleVariety::Restriction { base, .. } => *base,
                            _ => TypeRef::Builtin(Builtin::AnySimpleType),
                        };
                    }
                },
            }
        }
        None
    }

    /// A non-abstract named type derived from the abstract `t`, usable in xsi:type.
    fn concrete_type(
        &mut self,
        t: TypeId,
        element_block: DerivationSet,
        depth: usize,
    ) -> Result<TypeId, SampleError> {
        let candidates = match self.concrete_types.get(&t) {
            Some(c) => c.clone(),
            None => {
                let mut found = Vec::new();
                for (i, def) in self.model.types.iter().enumerate() {
                    let (TypeDef::Complex(c), Ok(i)) = (def, u32::try_from(i)) else {
                        continue;
                    };
                    if c.is_abstract || c.name.is_none() {
                        continue;
                    }
                    let id = TypeId(i);
                    if let Some(m) =
                        self.derivation_methods(TypeRef::Defined(id), TypeRef::Defined(t))
                    {
                        let block = element_block.union(self.type_block(TypeRef::Defined(t)));
                        if m.bits() & block.bits() == 0 {
                            found.push(id);
                        }
                    }
                }
                self.concrete_types.insert(t, found.clone());
                found
            }
        };
        let pick = if self.options.choice == ChoiceStrategy::Random && !self.frugal(depth) {
            candidates.get(self.rng.index(candidates.len())).copied()
        } else {
            candidates
                .iter()
                .copied()
                .min_by_key(|&c| (self.type_cost(TypeRef::Defined(c)), c))
        };
        pick.ok_or_else(|| SampleError::Abstract {
            what: format!("type {}", self.simple.label(t)),
        })
    }

    // ---- costs: how many elements the smallest valid content needs ------------------------

    fn element_cost(&mut self, id: ElementId) -> u64 {
        if let Some(&c) = self.element_costs.get(&id) {
            return c;
        }
        // Provisional value: a reference back to this element while costing it is a cycle.
        self.element_costs.insert(id, INFINITE);
        let Some(decl) = self.model.element_decl(id) else {
            return INFINITE;
        };
        let own = if decl.is_abstract {
            INFINITE
        } else {
            1u64.saturating_add(self.type_cost(decl.type_def))
        };
        let members = self.members.get(&id).cloned().unwrap_or_default();
        let best = members
            .into_iter()
            .map(|m| self.element_cost(m))
            .fold(own, u64::min)
            .min(INFINITE);
        self.element_costs.insert(id, best);
        best
    }

    fn type_cost(&mut self, t: TypeRef) -> u64 {
        let TypeRef::Defined(id) = t else { return 0 };
        if let Some(&c) = self.type_costs.get(&id) {
            return c;
        }
        if self.complex(id).is_none() {
            return 0;
        }
        if !self.costing.insert(id) {
            return INFINITE;
        }
        let mut total = 0u64;
        if self.complex(id).is_some_and(|c| c.is_abstract) {
            // Costed through its cheapest concrete type, without recursing into the search.
            total = 1;
        } else {
            for p in self.content_particles(id) {
                total = total.saturating_add(self.particle_cost(p));
            }
        }
        self.costing.remove(&id);
        let total = total.min(INFINITE);
        self.type_costs.insert(id, total);
        total
    }

    fn particle_cost(&mut self, p: &'m Particle) -> u64 {
        if p.min_occurs == 0 {
            return 0;
        }
        let each = match &p.term {
            Term::Element(e) => self.element_cost(*e),
            Term::Group(g) => match self.model.groups.get(g.index()) {
                Some(def) => self.group_cost(&def.model_group),
                None => 0,
            },
            Term::ModelGroup(mg) => self.group_cost(mg),
            Term::Wildcard(_) => 1,
        };
        each.saturating_mul(p.min_occurs).min(INFINITE)
    }

    fn group_cost(&mut self, mg: &'m ModelGroup) -> u64 {
        let costs = mg.particles.iter().map(|p| self.particle_cost(p));
        match mg.compositor {
            Compositor::Choice => costs.min().unwrap_or(0),
            _ => costs.fold(0, u64::saturating_add).min(INFINITE),
        }
    }

    // ---- identity constraints -------------------------------------------------------------

    /// Paths to the fields of the keys declared on `decl`: selector steps followed, field
    /// steps forced (a key field must exist on every selected element). A key that a keyref
    /// of `decl` refers to has its selector forced too, so there is a value to refer to.
    fn key_paths(&self, decl: &ElementDecl) -> Vec<Required> {
        let referred: Vec<IdentityConstraintId> = decl
            .identity_constraints
            .iter()
            .filter_map(
                |id| match self.model.identity_constraints.get(id.index())?.kind {
                    IdentityConstraintKind::KeyRef { refer } => Some(refer),
                    _ => None,
                },
            )
            .collect();
        let mut out = Vec::new();
        for &id in &decl.identity_constraints {
            let Some(ic) = self.model.identity_constraints.get(id.index()) else {
                continue;
            };
            if ic.kind != IdentityConstraintKind::Key {
                continue;
            }
            let force_selector = referred.contains(&id);
            let Some(selectors) = keys::parse(&ic.selector, self.model) else {
                continue;
            };
            for field in &ic.fields {
                let Some(field_paths) = keys::parse(field, self.model) else {
                    continue;
                };
                for s in &selectors {
                    // Paths through `.//` cannot be followed step by step; xmllint reports
                    // what they miss.
                    if s.iter().any(|x| x.descendant) {
                        continue;
                    }
                    for f in &field_paths {
                        let mut r: Required =
                            s.iter().map(|x| (x.clone(), force_selector)).collect();
                        r.extend(f.iter().map(|x| (x.clone(), true)));
                        if !r.is_empty() {
                            out.push(r);
                        }
                    }
                }
            }
        }
        out
    }

    /// Makes key/unique values distinct and points keyrefs at existing keys, within the
    /// subtree of the declaring element.
    fn enforce_identity(
        &mut self,
        node: &mut Node,
        decl: &'m ElementDecl,
        path: &str,
    ) -> Result<(), SampleError> {
        let mut ordered: Vec<IdentityConstraintId> = decl.identity_constraints.clone();
        // Keys before the keyrefs that name them.
        ordered.sort_by_key(|id| {
            self.model
                .identity_constraints
                .get(id.index())
                .is_some_and(|ic| matches!(ic.kind, IdentityConstraintKind::KeyRef { .. }))
        });
        for id in ordered {
            let Some(ic) = self.model.identity_constraints.get(id.index()) else {
                continue;
            };
            let Some(selectors) = keys::parse(&ic.selector, self.model) else {
                continue;
            };
            let Some(fields) = ic
                .fields
                .iter()
                .map(|f| keys::parse(f, self.model))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let mut selected: Vec<Vec<usize>> = selectors
                .iter()
                .flat_map(|s| keys::select(node, s))
                .collect();
            selected.sort();
            selected.dedup();
            let rows: Vec<Vec<keys::Slot>> = selected
                .iter()
                .filter_map(|at| {
                    fields
                        .iter()
                        .map(|f| keys::field_slot(node, at, f))
                        .collect::<Option<Vec<_>>>()
                })
                .collect();
            let name = self.model.display_name(&ic.name);
            match ic.kind {
                IdentityConstraintKind::Key | IdentityConstraintKind::Unique => {
                    let mut seen: Vec<Vec<String>> = Vec::new();
                    for row in &rows {
                        let mut values = self.read_row(node, row);
                        let mut tries = 0;
                        while seen.contains(&values) && tries < 16 {
                            tries += 1;
                            self.regenerate(node, row)?;
                            values = self.read_row(node, row);
                        }
                        if seen.contains(&values) {
                            return Err(SampleError::Unsatisfiable {
                                type_name: name,
                                reason: format!("no distinct values for the key at {path}"),
                            });
                        }
                        seen.push(values);
                    }
                    self.key_tables.entry(id).or_default().extend(seen);
                }
                IdentityConstraintKind::KeyRef { refer } => {
                    let table = self.key_tables.get(&refer).cloned().unwrap_or_default();
                    for row in &rows {
                        if table.contains(&self.read_row(node, row)) {
                            continue;
                        }
                        let Some(target) = table.get(self.rng.index(table.len())) else {
                            return Err(SampleError::Unsatisfiable {
                                type_name: name,
                                reason: format!("keyref at {path} has no key value to refer to"),
                            });
                        };
                        for (slot, value) in row.iter().zip(target) {
                            keys::write(node, slot, value.clone());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn read_row(&self, node: &Node, row: &[keys::Slot]) -> Vec<String> {
        row.iter()
            .map(|s| keys::read(node, s).unwrap_or_default())
            .collect()
    }

    /// New values for the regenerable slots of a row.
    fn regenerate(&mut self, node: &mut Node, row: &[keys::Slot]) -> Result<(), SampleError> {
        for slot in row {
            let ty = keys::node_at(node, &slot.node).and_then(|n| match slot.attribute {
                Some(i) => n.attributes.get(i).and_then(|a| a.value_type.clone()),
                None => n.value_type.clone(),
            });
            if let Some(ty) = ty {
                let v = simple_value::generate(&ty, self.model, self)?;
                keys::write(node, slot, v);
            }
        }
        Ok(())
    }

    // ---- IDREF fix-up ---------------------------------------------------------------------

    /// Points every IDREF at an ID of the document.
    fn resolve_idrefs(&mut self, tree: &mut Node) -> Result<(), SampleError> {
        let target = self.ids.first().cloned();
        let mut dangling = false;
        tree.for_each_value(&mut |v: &mut String| {
            if !v.contains(IDREF_MARK) {
                return;
            }
            let Some(t) = &target else {
                dangling = true;
                return;
            };
            let replaced: Vec<&str> = v
                .split(' ')
                .map(|tok| {
                    if tok.starts_with(IDREF_MARK) {
                        t.as_str()
                    } else {
                        tok
                    }
                })
                .collect();
            *v = replaced.join(" ");
        });
        if dangling {
            return Err(SampleError::Unsatisfiable {
                type_name: "xs:IDREF".into(),
                reason: "the document has no ID value to refer to".into(),
            });
        }
        Ok(())
    }
}
