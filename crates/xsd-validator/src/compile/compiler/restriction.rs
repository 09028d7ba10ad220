//! derivation-ok-restriction.5 for complex content: the content type of a restriction must be
//! a valid restriction of its base's, and its particle a valid restriction of the base's
//! particle (XSD 1.0 3.9.6, Particle Valid (Restriction), with its rcase-* constraints).
//!
//! Particles are first normalized as the spec requires: group references inlined, pointless
//! particles removed, and top-level element particles with a substitution group turned into
//! choices. The mapping checks are greedy and order-preserving, as in the spec (and Xerces).

use crate::schema::{self, Compositor, DerivationSet, Location, ProcessContents, Term, TypeDef};

use super::super::{
    derivation_chain_ok, AttributeIndex, Content, ElementIndex, NamespaceSet, TypeBody, TypeIndex,
};
use super::{fixed_values_equal, namespace_set, Compiler, BUILTIN_TYPES, MAX_DEPTH};

/// Upper bound on particle comparisons per type, so that adversarial schemas stay fast.
const BUDGET: usize = 100_000;

#[derive(Debug, Clone)]
struct P {
    min: u64,
    /// `None` is unbounded.
    max: Option<u64>,
    term: T,
}

#[derive(Debug, Clone)]
enum T {
    Element(ElementIndex),
    Wildcard(NamespaceSet, ProcessContents),
    Group(Compositor, Vec<P>),
}

type Check = Result<(), &'static str>;

fn range_ok(r: &P, b: &P) -> bool {
    r.min >= b.min
        && match (r.max, b.max) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(x), Some(y)) => x <= y,
        }
}

fn mul(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(0), _) | (_, Some(0)) => Some(0),
        (Some(x), Some(y)) => Some(x.saturating_mul(y)),
        _ => None,
    }
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        _ => None,
    }
}

/// How strongly a wildcard assesses what it matches: strict > lax > skip (XSD 1.0 second
/// edition, rcase-NSSubset.3 and derivation-ok-restriction.4.3).
pub(super) fn strength(p: ProcessContents) -> u8 {
    match p {
        ProcessContents::Skip => 0,
        ProcessContents::Lax => 1,
        ProcessContents::Strict => 2,
    }
}

/// The effective total range of a particle (3.8.6).
fn total_range(p: &P) -> (u64, Option<u64>) {
    match &p.term {
        T::Group(Compositor::Choice, children) => {
            let min = children.iter().map(|c| total_range(c).0).min().unwrap_or(0);
            let max = children
                .iter()
                .map(|c| total_range(c).1)
                .try_fold(0u64, |acc, m| m.map(|m| acc.max(m)));
            (p.min.saturating_mul(min), mul(p.max, max))
        }
        T::Group(_, children) => {
            let min = children
                .iter()
                .map(|c| total_range(c).0)
                .fold(0u64, u64::saturating_add);
            let max = children
                .iter()
                .map(|c| total_range(c).1)
                .try_fold(0u64, |acc, m| add(Some(acc), m));
            (p.min.saturating_mul(min), mul(p.max, max))
        }
        _ => (p.min, p.max),
    }
}

fn emptiable(p: &P) -> bool {
    total_range(p).0 == 0
}

struct Context<'c> {
    c: &'c Compiler,
    budget: usize,
}

impl Compiler {
    /// Checks every complex type derived by restriction from a complex type other than
    /// anyType (whose content everything restricts).
    pub(super) fn restrictions(&mut self) {
        let mut problems: Vec<(Location, &'static str, String)> = Vec::new();
        for (i, def) in self.model.types.iter().enumerate() {
            let TypeDef::Complex(def) = def else {
                continue;
            };
            if def.derivation != schema::Derivation::Restriction {
                continue;
            }
            let t = i + BUILTIN_TYPES;
            let base = self.type_index(def.base);
            if base == TypeIndex::ANY_TYPE {
                continue;
            }
            let (Some(TypeBody::Complex(r)), Some(TypeBody::Complex(b))) = (
                self.types.get(t).map(|x| &x.body),
                self.types.get(base.0 as usize).map(|x| &x.body),
            ) else {
                continue;
            };
            // derivation-ok-restriction.2.1.3, once value constraints are typed: an attribute
            // fixed in the base stays fixed to the same value.
            for u in &r.attributes {
                let Some(f) = b
                    .attributes
                    .iter()
                    .find(|x| x.name == u.name)
                    .and_then(|x| x.value.as_ref())
                    .filter(|v| v.fixed)
                else {
                    continue;
                };
                if !u
                    .value
                    .as_ref()
                    .is_some_and(|v| v.fixed && fixed_values_equal(v, f))
                {
                    let message = format!(
                        "attribute '{}' has the fixed value '{}' in the base type {}; a restriction must keep it",
                        self.names.local(u.name),
                        f.lexical,
                        self.type_display(base)
                    );
                    problems.push((def.location, "derivation-ok-restriction.2.1.3", message));
                }
            }
            let rule = match (&r.content, &b.content) {
                (Content::Simple(_), _) | (Content::Empty, Content::Empty) => continue,
                (Content::Empty, Content::Elements { automaton, .. }) => {
                    if automaton.is_emptiable() {
                        continue;
                    }
                    Err("derivation-ok-restriction.5.2.2.2")
                }
                (Content::Empty, Content::Simple(_)) => Err("derivation-ok-restriction.5.2"),
                (Content::Elements { .. }, Content::Empty | Content::Simple(_)) => {
                    Err("derivation-ok-restriction.5.4")
                }
                (Content::Elements { mixed: rm, .. }, Content::Elements { mixed: bm, .. }) => {
                    if *rm && !*bm {
                        Err("derivation-ok-restriction.5.4.1.2")
                    } else {
                        let rp = self.particles.get(t).cloned().flatten();
                        let bp = self.particles.get(base.0 as usize).cloned().flatten();
                        let mut cx = Context {
                            c: self,
                            budget: BUDGET,
                        };
                        match (
                            rp.and_then(|p| cx.normalize(&p, 0)),
                            bp.and_then(|p| cx.normalize(&p, 0)),
                        ) {
                            (None, None) => Ok(()),
                            (None, Some(b)) => {
                                if emptiable(&b) {
                                    Ok(())
                                } else {
                                    Err("derivation-ok-restriction.5.4.2")
                                }
                            }
                            (Some(_), None) => Err("derivation-ok-restriction.5.4.2"),
                            (Some(r), Some(b)) => cx.valid(&r, &b, 0),
                        }
                    }
                }
            };
            if let Err(rule) = rule {
                let message = format!(
                    "the content of this restriction is not a valid restriction of the content of its base type {} ({rule})",
                    self.type_display(base)
                );
                problems.push((def.location, rule_family(rule), message));
            }
        }
        // src-redefine.7.2.2 with derivation-ok-restriction.2.1.2: in a redefined attribute
        // group without a self-reference, each attribute keeps a type derived from the
        // original's (the other clauses are checked when the schema is loaded).
        let mut pairs = Vec::new();
        for g in &self.model.attribute_groups {
            let Some(original) = g
                .restricts
                .and_then(|o| self.model.attribute_groups.get(o.index()))
            else {
                continue;
            };
            for u in &g.attribute_uses {
                let name = self
                    .model
                    .attributes
                    .get(u.declaration.index())
                    .map(|a| &a.name);
                let base = original.attribute_uses.iter().find(|x| {
                    self.model
                        .attributes
                        .get(x.declaration.index())
                        .map(|a| &a.name)
                        == name
                });
                if let Some(b) = base {
                    pairs.push((u.declaration, b.declaration, g.location));
                }
            }
        }
        for (derived, base, location) in pairs {
            let index = |a: schema::AttributeId| AttributeIndex(a.index() as u32);
            self.check_restricted_attribute_type(index(derived), index(base), location, 0);
        }

        // src-redefine.6.2.2: a redefined group without a self-reference restricts the
        // original, as a particle of the same occurrence.
        for (i, g) in self.model.groups.iter().enumerate() {
            let Some(original) = g.restricts else {
                continue;
            };
            let particle = |id: schema::GroupId| schema::Particle {
                min_occurs: 1,
                max_occurs: schema::MaxOccurs::Bounded(1),
                term: Term::Group(id),
                location: g.location,
            };
            let id = schema::GroupId(i as u32);
            let mut cx = Context {
                c: self,
                budget: BUDGET,
            };
            let result = match (
                cx.normalize(&particle(id), 0),
                cx.normalize(&particle(original), 0),
            ) {
                (None, None) => Ok(()),
                (None, Some(b)) if emptiable(&b) => Ok(()),
                (None, Some(_)) | (Some(_), None) => Err("derivation-ok-restriction.5.4.2"),
                (Some(r), Some(b)) => cx.valid(&r, &b, 0),
            };
            if let Err(rule) = result {
                let message = format!(
                    "the redefinition of group '{}' does not refer to itself, so it must be a valid restriction of the original, and is not ({rule})",
                    self.model.display_name(&g.name)
                );
                problems.push((g.location, "src-redefine.6.2.2", message));
            }
        }
        for (loc, rule, message) in problems {
            self.error(loc, rule, message);
        }
    }
}

/// Reported rule: the rcase-* constraint, or the derivation-ok-restriction clause.
fn rule_family(rule: &'static str) -> &'static str {
    rule
}

impl Context<'_> {
    /// The normalized form of a model particle; `None` when it is pointless or empty.
    fn normalize(&self, p: &schema::Particle, depth: usize) -> Option<P> {
        if depth > MAX_DEPTH || p.max_occurs == schema::MaxOccurs::Bounded(0) {
            return None;
        }
        let max = match p.max_occurs {
            schema::MaxOccurs::Bounded(n) => Some(n),
            schema::MaxOccurs::Unbounded => None,
        };
        let (compositor, particles) = match &p.term {
            Term::Element(e) => {
                let e = ElementIndex(e.index() as u32);
                let members = self.c.members.get(e.0 as usize).filter(|m| !m.is_empty());
                let is_global = self.c.elements.get(e.0 as usize).is_some_and(|x| x.global);
                return Some(match members {
                    Some(members) if is_global => {
                        let mut alternatives = vec![P {
                            min: 1,
                            max: Some(1),
                            term: T::Element(e),
                        }];
                        alternatives.extend(members.iter().map(|&m| P {
                            min: 1,
                            max: Some(1),
                            term: T::Element(m),
                        }));
                        P {
                            min: p.min_occurs,
                            max,
                            term: T::Group(Compositor::Choice, alternatives),
                        }
                    }
                    _ => P {
                        min: p.min_occurs,
                        max,
                        term: T::Element(e),
                    },
                });
            }
            Term::Wildcard(w) => {
                return Some(P {
                    min: p.min_occurs,
                    max,
                    term: T::Wildcard(namespace_set(&w.namespaces), w.process_contents),
                })
            }
            Term::Group(g) => {
                let g = self.c.model.groups.get(g.index())?;
                (g.model_group.compositor, &g.model_group.particles)
            }
            Term::ModelGroup(g) => (g.compositor, &g.particles),
        };
        let mut children = Vec::new();
        for c in particles {
            let Some(n) = self.normalize(c, depth + 1) else {
                continue;
            };
            // A same-kind group occurring once inside a sequence or choice is pointless.
            match n.term {
                T::Group(k, inner)
                    if k == compositor
                        && n.min == 1
                        && n.max == Some(1)
                        && compositor != Compositor::All =>
                {
                    children.extend(inner)
                }
                term => children.push(P {
                    min: n.min,
                    max: n.max,
                    term,
                }),
            }
        }
        if children.is_empty() {
            return None;
        }
        if children.len() == 1 && p.min_occurs == 1 && max == Some(1) {
            return children.pop();
        }
        Some(P {
            min: p.min_occurs,
            max,
            term: T::Group(compositor, children),
        })
    }

    /// Particle Valid (Restriction): `r` restricts `b`.
    fn valid(&mut self, r: &P, b: &P, depth: usize) -> Check {
        if self.budget == 0 || depth > MAX_DEPTH {
            // Give the schema the benefit of the doubt beyond the budget.
            return Ok(());
        }
        self.budget -= 1;
        match (&r.term, &b.term) {
            (T::Element(re), T::Element(be)) => self.name_and_type_ok(r, *re, b, *be),
            (T::Element(re), T::Wildcard(w, _)) => {
                let ns = self.c.elements.get(re.0 as usize).map(|e| e.namespace);
                if !ns.is_some_and(|n| w.allows(n)) {
                    return Err("rcase-NSCompat.1");
                }
                if !range_ok(r, b) {
                    return Err("rcase-NSCompat.2");
                }
                Ok(())
            }
            (T::Element(_), T::Group(k, _)) => {
                // RecurseAsIfGroup: the element as a group of the base's kind.
                let wrapped = P {
                    min: 1,
                    max: Some(1),
                    term: T::Group(*k, vec![r.clone()]),
                };
                self.valid(&wrapped, b, depth + 1)
            }
            (T::Wildcard(rw, rp), T::Wildcard(bw, bp)) => {
                if !range_ok(r, b) {
                    return Err("rcase-NSSubset.1");
                }
                if !rw.is_subset_of(bw) {
                    return Err("rcase-NSSubset.2");
                }
                // Erratum E1-21 (XSD 1.0 second edition): no weaker processContents.
                if strength(*rp) < strength(*bp) {
                    return Err("rcase-NSSubset.3");
                }
                Ok(())
            }
            (T::Wildcard(..), _) | (T::Group(..), T::Element(_)) => Err("cos-particle-restrict.2"),
            (T::Group(_, children), T::Wildcard(..)) => {
                // NSRecurseCheckCardinality.
                let (min, max) = total_range(r);
                let total = P {
                    min,
                    max,
                    term: T::Group(Compositor::Sequence, Vec::new()),
                };
                if !range_ok(&total, b) {
                    return Err("rcase-NSRecurseCheckCardinality.2");
                }
                let any = P {
                    min: 0,
                    max: None,
                    term: b.term.clone(),
                };
                for c in children {
                    self.valid(c, &any, depth + 1)
                        .map_err(|_| "rcase-NSRecurseCheckCardinality.1")?;
                }
                Ok(())
            }
            (T::Group(rk, rc), T::Group(bk, bc)) => match (rk, bk) {
                (Compositor::All, Compositor::All)
                | (Compositor::Sequence, Compositor::Sequence) => {
                    if !range_ok(r, b) {
                        return Err("rcase-Recurse.1");
                    }
                    self.recurse(rc, bc, true, depth)
                        .map_err(|_| "rcase-Recurse.2")
                }
                (Compositor::Choice, Compositor::Choice) => {
                    if !range_ok(r, b) {
                        return Err("rcase-RecurseLax.1");
                    }
                    // The mapping is not required to preserve order here: a choice is
                    // unordered, and substitution-group choices list members in an order
                    // the schema author cannot control.
                    for c in rc {
                        if !bc.iter().any(|bp| self.valid(c, bp, depth + 1).is_ok()) {
                            return Err("rcase-RecurseLax.2");
                        }
                    }
                    Ok(())
                }
                (Compositor::Sequence, Compositor::All) => {
                    if !range_ok(r, b) {
                        return Err("rcase-RecurseUnordered.1");
                    }
                    let mut used = vec![false; bc.len()];
                    'outer: for c in rc {
                        for (i, bp) in bc.iter().enumerate() {
                            if !used[i] && self.valid(c, bp, depth + 1).is_ok() {
                                used[i] = true;
                                continue 'outer;
                            }
                        }
                        return Err("rcase-RecurseUnordered.2");
                    }
                    if bc.iter().zip(&used).any(|(bp, u)| !u && !emptiable(bp)) {
                        return Err("rcase-RecurseUnordered.2.3");
                    }
                    Ok(())
                }
                (Compositor::Sequence, Compositor::Choice) => {
                    // MapAndSum.
                    let n = rc.len() as u64;
                    let total = P {
                        min: r.min.saturating_mul(n),
                        max: r.max.map(|m| m.saturating_mul(n)),
                        term: T::Group(Compositor::Sequence, Vec::new()),
                    };
                    if !range_ok(&total, b) {
                        return Err("rcase-MapAndSum.2");
                    }
                    for c in rc {
                        if !bc.iter().any(|bp| self.valid(c, bp, depth + 1).is_ok()) {
                            return Err("rcase-MapAndSum.1");
                        }
                    }
                    Ok(())
                }
                _ => Err("cos-particle-restrict.2"),
            },
        }
    }

    /// rcase-Recurse: an order-preserving mapping of `rc` into `bc`; `strict` also requires
    /// the skipped base particles to be emptiable.
    fn recurse(&mut self, rc: &[P], bc: &[P], strict: bool, depth: usize) -> Check {
        let mut j = 0;
        for c in rc {
            loop {
                let Some(bp) = bc.get(j) else {
                    return Err("unmapped");
                };
                j += 1;
                if self.valid(c, bp, depth + 1).is_ok() {
                    break;
                }
                if strict && !emptiable(bp) {
                    return Err("skipped a required particle");
                }
            }
        }
        if strict && bc.get(j..).unwrap_or(&[]).iter().any(|bp| !emptiable(bp)) {
            return Err("required particle left");
        }
        Ok(())
    }

    /// rcase-NameAndTypeOK.
    fn name_and_type_ok(&self, r: &P, re: ElementIndex, b: &P, be: ElementIndex) -> Check {
        let (Some(rd), Some(bd)) = (
            self.c.elements.get(re.0 as usize),
            self.c.elements.get(be.0 as usize),
        ) else {
            return Ok(());
        };
        if rd.name != bd.name {
            return Err("rcase-NameAndTypeOK.1");
        }
        if rd.nillable && !bd.nillable {
            return Err("rcase-NameAndTypeOK.2");
        }
        if !range_ok(r, b) {
            return Err("rcase-NameAndTypeOK.3");
        }
        if let Some(bv) = bd.value.as_ref().filter(|v| v.fixed) {
            match rd.value.as_ref().filter(|v| v.fixed) {
                Some(rv) if rv.lexical_equal_or_value(bv) => {}
                _ => return Err("rcase-NameAndTypeOK.4"),
            }
        }
        let rb = rd.block;
        let bb = bd.block;
        if rb.bits() & bb.bits() != bb.bits() {
            return Err("rcase-NameAndTypeOK.6");
        }
        let blocked = DerivationSet::EXTENSION
            .union(DerivationSet::LIST)
            .union(DerivationSet::UNION);
        if rd.type_index != bd.type_index
            && !derivation_chain_ok(&self.c.types, rd.type_index, bd.type_index, blocked, false)
        {
            return Err("rcase-NameAndTypeOK.7");
        }
        Ok(())
    }
}

impl super::super::ValueRule {
    /// Fixed values compare in the value space when both have one, else as strings.
    fn lexical_equal_or_value(&self, other: &super::super::ValueRule) -> bool {
        match (&self.value, &other.value) {
            (Some(a), Some(b)) => a == b,
            _ => self.lexical == other.lexical,
        }
    }
}
