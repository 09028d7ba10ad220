//! Finishing passes over the built components: keyref targets, types inherited from
//! substitution group heads, circularity checks, and expansion of attribute groups.
//! Every pass is linear in the number of components (plus attribute uses per type).

use super::components::*;
use super::document::Builder;
use super::SchemaError;
use crate::compile::NamespaceSet;
use crate::datatypes::Builtin;

/// Runs all finishing passes; errors are appended to `b.errors`.
pub(crate) fn finish(b: &mut Builder) {
    resolve_refers(b);
    substitution_groups(b);
    derivation_cycles(b);
    complex_content_bases(b);
    group_cycles(b);
    attribute_groups(b);
    attribute_group_restrictions(b);
}

fn error_at(b: &mut Builder, location: Location, rule: &'static str, message: String) {
    let document = b
        .model
        .documents
        .get(location.document.index())
        .map(|d| d.path.clone())
        .unwrap_or_default();
    b.errors.push(SchemaError::new(
        rule,
        message,
        &document,
        location.line,
        location.column,
    ));
}

/// Depth-first post-order over a graph given by `edges`; returns the order (each node after
/// everything it reaches, cycles cut) and, for every back edge, the node it points to.
fn postorder(n: usize, edges: impl Fn(usize) -> Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::with_capacity(n);
    let mut cyclic = Vec::new();
    let mut stack: Vec<(usize, Vec<usize>, usize)> = Vec::new();
    for start in 0..n {
        if mark.get(start) != Some(&Mark::New) {
            continue;
        }
        if let Some(m) = mark.get_mut(start) {
            *m = Mark::Active;
        }
        stack.push((start, edges(start), 0));
        while let Some((node, succ, next)) = stack.last_mut() {
            if let Some(&s) = succ.get(*next) {
                *next += 1;
                match mark.get(s) {
                    Some(Mark::New) => {
                        if let Some(m) = mark.get_mut(s) {
                            *m = Mark::Active;
                        }
                        let e = edges(s);
                        stack.push((s, e, 0));
                    }
                    Some(Mark::Active) => cyclic.push(s),
                    _ => {}
                }
            } else {
                let node = *node;
                if let Some(m) = mark.get_mut(node) {
                    *m = Mark::Done;
                }
                order.push(node);
                stack.pop();
            }
        }
    }
    (order, cyclic)
}

fn resolve_refers(b: &mut Builder) {
    let pending = std::mem::take(&mut b.pending_refers);
    for (id, name, location) in pending {
        match b
            .model
            .global_identity_constraints
            .get(name.namespace, &name.local)
        {
            Some(target) => {
                let is_key = matches!(
                    b.model
                        .identity_constraints
                        .get(target.index())
                        .map(|c| &c.kind),
                    Some(IdentityConstraintKind::Key | IdentityConstraintKind::Unique)
                );
                if !is_key {
                    let shown = b.model.display_name(&name);
                    error_at(
                        b,
                        location,
                        "c-props-correct.1",
                        format!(
                            "keyref refers to '{shown}', which is not a key or unique constraint"
                        ),
                    );
                }
                if let Some(c) = b.model.identity_constraints.get_mut(id.index()) {
                    c.kind = IdentityConstraintKind::KeyRef { refer: target };
                }
            }
            None => {
                let shown = b.model.display_name(&name);
                error_at(
                    b,
                    location,
                    "src-resolve",
                    format!("identity constraint '{shown}' is not defined"),
                );
            }
        }
    }
}

fn substitution_groups(b: &mut Builder) {
    let n = b.model.elements.len();
    let elements = &b.model.elements;
    let (_, cyclic) = postorder(n, |i| {
        elements
            .get(i)
            .and_then(|e| e.substitution_group)
            .map(|h| vec![h.index()])
            .unwrap_or_default()
    });
    for i in cyclic {
        if let Some(e) = b.model.elements.get_mut(i) {
            // Cut the cycle so later passes (and the compile step) can walk heads safely.
            e.substitution_group = None;
            let (name, location) = (e.name.clone(), e.location);
            let shown = b.model.display_name(&name);
            error_at(
                b,
                location,
                "e-props-correct.6",
                format!("substitution group of '{shown}' is circular"),
            );
        }
    }
    let mut untyped = vec![false; n];
    for e in &b.untyped_members {
        if let Some(u) = untyped.get_mut(e.index()) {
            *u = true;
        }
    }
    for e in std::mem::take(&mut b.untyped_members) {
        let mut head = b
            .model
            .elements
            .get(e.index())
            .and_then(|d| d.substitution_group);
        let mut steps = 0;
        while let Some(h) = head {
            if !untyped.get(h.index()).copied().unwrap_or(false) || steps > n {
                break;
            }
            head = b
                .model
                .elements
                .get(h.index())
                .and_then(|d| d.substitution_group);
            steps += 1;
        }
        let inherited = head
            .and_then(|h| b.model.elements.get(h.index()))
            .map_or(TypeRef::AnyType, |d| d.type_def);
        if let Some(d) = b.model.elements.get_mut(e.index()) {
            d.type_def = inherited;
        }
    }
}

fn derivation_cycles(b: &mut Builder) {
    let types = &b.model.types;
    let (_, cyclic) = postorder(types.len(), |i| {
        let refs: Vec<TypeRef> = match types.get(i) {
            Some(TypeDef::Complex(c)) => vec![c.base],
            Some(TypeDef::Simple(s)) => match &s.variety {
                SimpleVariety::Restriction { base, .. } => vec![*base],
                SimpleVariety::List { item } => vec![*item],
                SimpleVariety::Union { members } => members.clone(),
            },
            None => Vec::new(),
        };
        refs.into_iter()
            .filter_map(|r| match r {
                TypeRef::Defined(t) => Some(t.index()),
                TypeRef::AnyType | TypeRef::Builtin(_) => None,
            })
            .collect()
    });
    for i in cyclic {
        let Some(t) = b.model.types.get_mut(i) else {
            continue;
        };
        let (rule, location, name) = match t {
            TypeDef::Complex(c) => {
                c.base = TypeRef::AnyType;
                ("ct-props-correct.3", c.location, c.name.clone())
            }
            TypeDef::Simple(s) => {
                s.variety = SimpleVariety::Restriction {
                    base: TypeRef::Builtin(Builtin::AnySimpleType),
                    facets: Vec::new(),
                };
                ("st-props-correct.2", s.location, s.name.clone())
            }
        };
        let shown = name.map_or_else(|| "(anonymous)".to_owned(), |n| b.model.display_name(&n));
        error_at(
            b,
            location,
            rule,
            format!("type '{shown}' is circularly defined"),
        );
    }
}

fn complex_content_bases(b: &mut Builder) {
    for (_, base, location) in std::mem::take(&mut b.complex_content_bases) {
        let simple = match base {
            TypeRef::AnyType => false,
            TypeRef::Builtin(_) => true,
            TypeRef::Defined(t) => matches!(b.model.types.get(t.index()), Some(TypeDef::Simple(_))),
        };
        if simple {
            error_at(
                b,
                location,
                "src-ct.1",
                "the base of complexContent must be a complex type".to_owned(),
            );
        }
    }
}

fn collect_group_refs(mg: &ModelGroup, out: &mut Vec<usize>) {
    for p in &mg.particles {
        match &p.term {
            Term::Group(g) => out.push(g.index()),
            Term::ModelGroup(inner) => collect_group_refs(inner, out),
            Term::Element(_) | Term::Wildcard(_) => {}
        }
    }
}

fn group_cycles(b: &mut Builder) {
    let groups = &b.model.groups;
    let (_, cyclic) = postorder(groups.len(), |i| {
        let mut out = Vec::new();
        if let Some(g) = groups.get(i) {
            collect_group_refs(&g.model_group, &mut out);
        }
        out
    });
    for i in cyclic {
        let Some(g) = b.model.groups.get_mut(i) else {
            continue;
        };
        // Emptying the group keeps every later walk over groups finite.
        g.model_group.particles.clear();
        let (name, location) = (g.name.clone(), g.location);
        let shown = b.model.display_name(&name);
        error_at(
            b,
            location,
            "mg-props-correct.2",
            format!("model group '{shown}' refers to itself"),
        );
    }
}

/// Appends `extra` uses to `uses`: the same declaration twice is one use; two declarations
/// with the same name are an error (`rule`).
fn merge_uses(
    model: &SchemaModel,
    uses: &mut Vec<AttributeUse>,
    extra: &[AttributeUse],
    clashes: &mut Vec<String>,
) {
    for u in extra {
        if uses.iter().any(|x| x.declaration == u.declaration) {
            continue;
        }
        let name = model.attributes.get(u.declaration.index()).map(|a| &a.name);
        let clash = uses
            .iter()
            .any(|x| model.attributes.get(x.declaration.index()).map(|a| &a.name) == name);
        if clash {
            if let Some(n) = name {
                clashes.push(model.display_name(n));
            }
            continue;
        }
        uses.push(u.clone());
    }
}

fn attribute_groups(b: &mut Builder) {
    let groups = &b.model.attribute_groups;
    let (order, cyclic) = postorder(groups.len(), |i| {
        groups
            .get(i)
            .map(|g| g.attribute_groups.iter().map(|x| x.index()).collect())
            .unwrap_or_default()
    });
    let mut broken = vec![false; b.model.attribute_groups.len()];
    for &i in &cyclic {
        if let Some(x) = broken.get_mut(i) {
            *x = true;
        }
        let Some(g) = b.model.attribute_groups.get(i) else {
            continue;
        };
        let (name, location) = (g.name.clone(), g.location);
        let shown = b.model.display_name(&name);
        error_at(
            b,
            location,
            "src-attribute_group.3",
            format!("attribute group '{shown}' refers to itself"),
        );
    }
    // Post-order: nested groups are complete before the groups that use them.
    for i in order {
        let Some(g) = b.model.attribute_groups.get(i) else {
            continue;
        };
        let (own, mut wildcards, nested) = (
            g.attribute_uses.clone(),
            g.attribute_wildcards.clone(),
            g.attribute_groups.clone(),
        );
        let location = g.location;
        let mut clashes = Vec::new();
        let mut uses = Vec::with_capacity(own.len());
        merge_uses(&b.model, &mut uses, &own, &mut clashes);
        for n in nested {
            if broken.get(n.index()).copied().unwrap_or(true) {
                continue;
            }
            if let Some(inner) = b.model.attribute_groups.get(n.index()) {
                merge_uses(&b.model, &mut uses, &inner.attribute_uses, &mut clashes);
                wildcards.extend(inner.attribute_wildcards.iter().cloned());
            }
        }
        for c in clashes {
            error_at(
                b,
                location,
                "ag-props-correct.2",
                format!("attribute '{c}' is declared twice in the attribute group"),
            );
        }
        if let Some(g) = b.model.attribute_groups.get_mut(i) {
            g.attribute_uses = uses;
            g.attribute_wildcards = wildcards;
        }
    }
    for i in 0..b.model.types.len() {
        let Some(TypeDef::Complex(c)) = b.model.types.get(i) else {
            continue;
        };
        let own = c.attribute_uses.clone();
        let nested = c.attribute_groups.clone();
        let location = c.location;
        let mut uses = Vec::with_capacity(own.len());
        let mut wildcards = Vec::new();
        let mut clashes = Vec::new();
        merge_uses(&b.model, &mut uses, &own, &mut clashes);
        for n in nested {
            if broken.get(n.index()).copied().unwrap_or(true) {
                continue;
            }
            if let Some(inner) = b.model.attribute_groups.get(n.index()) {
                merge_uses(&b.model, &mut uses, &inner.attribute_uses, &mut clashes);
                wildcards.extend(inner.attribute_wildcards.iter().cloned());
            }
        }
        for c in clashes {
            error_at(
                b,
                location,
                "ct-props-correct.4",
                format!("attribute '{c}' is declared twice in the complex type"),
            );
        }
        if let Some(TypeDef::Complex(c)) = b.model.types.get_mut(i) {
            c.attribute_uses = uses;
            c.attribute_wildcards.extend(wildcards);
        }
    }
}

/// src-redefine.7.2.2: a redefined attribute group that does not refer to itself must be a
/// valid restriction of the one it replaces, by clauses 2 to 4 of Derivation Valid
/// (Restriction, Complex) on the expanded groups. Prohibited uses are not attribute uses
/// of the group (3.6.1), so they count as absent on both sides. Types of matching uses
/// (clause 2.1.2) are compared by the compile step, which knows type derivation.
fn attribute_group_restrictions(b: &mut Builder) {
    let pending: Vec<_> = (b.model.attribute_groups.iter().enumerate())
        .filter_map(|(i, g)| Some((AttributeGroupId(i as u32), g.restricts?)))
        .collect();
    for (derived, base) in pending {
        let m = &b.model;
        let (Some(d), Some(bg)) = (
            m.attribute_groups.get(derived.index()),
            m.attribute_groups.get(base.index()),
        ) else {
            continue;
        };
        let name_of = |u: &AttributeUse| m.attributes.get(u.declaration.index()).map(|a| &a.name);
        let fixed_of = |u| fixed_value(m, u);
        let present = |u: &&AttributeUse| u.use_kind != AttributeUseKind::Prohibited;
        let shown_group = m.display_name(&d.name);
        let mut problems: Vec<(&'static str, String)> = Vec::new();
        for u in d.attribute_uses.iter().filter(present) {
            let Some(name) = name_of(u) else { continue };
            let shown = m.display_name(name);
            match bg
                .attribute_uses
                .iter()
                .filter(present)
                .find(|x| name_of(x) == Some(name))
            {
                Some(x) => {
                    if x.use_kind == AttributeUseKind::Required
                        && u.use_kind != AttributeUseKind::Required
                    {
                        problems.push((
                            "derivation-ok-restriction.2.1.1",
                            format!("attribute '{shown}' is required in the original group; the redefinition cannot make it optional"),
                        ));
                    }
                    if let Some(f) = fixed_of(x) {
                        if fixed_of(u) != Some(f) {
                            problems.push((
                                "derivation-ok-restriction.2.1.3",
                                format!("attribute '{shown}' has the fixed value '{f}' in the original group; the redefinition must keep it"),
                            ));
                        }
                    }
                }
                None => {
                    let allowed = !bg.attribute_wildcards.is_empty()
                        && bg
                            .attribute_wildcards
                            .iter()
                            .all(|w| NamespaceSet::from(&w.namespaces).allows(name.namespace));
                    if !allowed {
                        problems.push((
                            "derivation-ok-restriction.2.2",
                            format!("attribute '{shown}' is neither in the original group nor allowed by its wildcard"),
                        ));
                    }
                }
            }
        }
        for x in bg.attribute_uses.iter().filter(present) {
            let Some(name) = name_of(x) else { continue };
            if x.use_kind == AttributeUseKind::Required
                && !d
                    .attribute_uses
                    .iter()
                    .filter(present)
                    .any(|u| name_of(u) == Some(name))
            {
                problems.push((
                    "derivation-ok-restriction.3",
                    format!(
                        "attribute '{}' is required in the original group but missing from the redefinition",
                        m.display_name(name)
                    ),
                ));
            }
        }
        if let ([w], [bw]) = (&d.attribute_wildcards[..], &bg.attribute_wildcards[..]) {
            if !NamespaceSet::from(&w.namespaces).is_subset_of(&NamespaceSet::from(&bw.namespaces))
            {
                problems.push((
                    "derivation-ok-restriction.4",
                    "the attribute wildcard is not a subset of the original group's".to_owned(),
                ));
            }
        } else if !d.attribute_wildcards.is_empty() && bg.attribute_wildcards.is_empty() {
            problems.push((
                "derivation-ok-restriction.4",
                "the redefinition adds an attribute wildcard the original group does not have"
                    .to_owned(),
            ));
        }
        let location = d.location;
        for (rule, detail) in problems {
            error_at(
                b,
                location,
                "src-redefine.7.2.2",
                format!("redefined attribute group '{shown_group}' does not restrict the original ({rule}): {detail}"),
            );
        }
    }
}

/// The fixed value of an attribute use: its own, or else its declaration's.
fn fixed_value<'m>(m: &'m SchemaModel, u: &'m AttributeUse) -> Option<&'m str> {
    let constraint = u.value_constraint.as_ref().or_else(|| {
        m.attributes
            .get(u.declaration.index())
            .and_then(|a| a.value_constraint.as_ref())
    });
    match constraint {
        Some(ValueConstraint::Fixed(v)) => Some(v.trim()),
        _ => None,
    }
}
