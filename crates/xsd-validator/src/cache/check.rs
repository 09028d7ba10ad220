//! The structural check of a set read from a cache entry, run before the set is used.
//!
//! The checksum catches accidental damage; this catches an entry that decodes but was not
//! written by the compiler (edited and re-checksummed, or a decoding bug). The compiler
//! guarantees that every index stored in a set is in range (the architecture invariant of
//! `compile`), and the validator, the identity tracker and the handles rely on it:
//! `SchemaSet::{element,type,attribute}_rule` panic on a foreign index, and
//! `Automaton::leaf` indexes with `[]` the ids that `step` and `expected` return. So every
//! index that these follow is checked here, and that base-type chains end. Everything else
//! they read through `get` with a harmless fallback. Simple types are checked while they are
//! read (`shared`: acyclic by construction, bounded in depth and union expansion).
//!
//! Values (of fixed and default values, bounds and enumerations) are compared by their
//! fields, which parsing leaves in one canonical form: a decimal without leading or trailing
//! zeros, a duration as months plus floored seconds and a fraction, date/time fields in
//! range. A decimal, duration or date/time value read from an entry must be in that form
//! (`canonical`; simple types' bounds and enumerations are checked while read, in `shared`),
//! so that an edited `007` cannot compare unequal to `7`.
//!
//! The check is linear in the size of the set and allocates one byte per type.

use crate::compile::{
    AttributeIndex, Content, ElementIndex, Leaf, NameId, NamespaceSet, TypeBody, TypeIndex,
};
use crate::datatypes::{Builtin, DateTimeKind, Decimal, Duration, SimpleType, Value};
use crate::identity::Category;
use crate::schema::NamespaceId;
use crate::SchemaSet;

/// Why the set is not one the compiler could have written.
pub(super) type Damage = String;

pub(super) fn check(set: &SchemaSet) -> Result<(), Damage> {
    let v = Bounds {
        namespaces: set.namespaces.len(),
        names: set.names.len(),
        types: set.types.len(),
        elements: set.elements.len(),
        attributes: set.attributes.len(),
        constraints: set.identity.constraints.len(),
    };
    for i in 0..v.names {
        let id = NameId(u32::try_from(i).map_err(|_| "too many names")?);
        v.namespace(set.names.namespace(id), "name")?;
    }
    v.namespace(set.xsi_namespace, "xsi namespace")?;
    check_types(set, &v)?;
    for (i, e) in set.elements.iter().enumerate() {
        let at = || format!("element {i}");
        if let Some(v) = e.value.as_ref().and_then(|v| v.value.as_ref()) {
            canonical(v).map_err(|why| format!("{}: value constraint: {why}", at()))?;
        }
        v.name(e.name, &at)?;
        v.namespace(e.namespace, "element")?;
        v.type_index(e.type_index, &at)?;
        if e.model_id.index() != i {
            return Err(format!("{}: model id {}", at(), e.model_id.index()));
        }
        if let Some(c) = e
            .identity_constraints
            .iter()
            .find(|c| c.index() >= v.constraints)
        {
            return Err(format!("{}: identity constraint {}", at(), c.index()));
        }
    }
    for (i, a) in set.attributes.iter().enumerate() {
        let at = || format!("attribute {i}");
        if let Some(v) = a.value.as_ref().and_then(|v| v.value.as_ref()) {
            canonical(v).map_err(|why| format!("{}: value constraint: {why}", at()))?;
        }
        v.name(a.name, &at)?;
        v.namespace(a.namespace, "attribute")?;
        v.type_index(a.type_index, &at)?;
    }
    let global = |what: &str, name: NameId, rule_name: Option<NameId>| match rule_name {
        Some(n) if n == name => Ok(()),
        _ => Err(format!(
            "global {what} {}: index out of range or another name",
            name.0
        )),
    };
    for (&name, &e) in &set.global_elements {
        global(
            "element",
            name,
            set.elements.get(e.0 as usize).map(|r| r.name),
        )?;
    }
    for (&name, &a) in &set.global_attributes {
        global(
            "attribute",
            name,
            set.attributes.get(a.0 as usize).map(|r| r.name),
        )?;
    }
    for (&name, &t) in &set.global_types {
        v.name(name, &|| "global type".to_owned())?;
        v.type_index(t, &|| format!("global type {}", name.0))?;
    }
    check_identity(set)
}

/// The lengths of the set's arenas.
struct Bounds {
    namespaces: usize,
    names: usize,
    types: usize,
    elements: usize,
    attributes: usize,
    constraints: usize,
}

impl Bounds {
    fn namespace(&self, id: NamespaceId, what: &str) -> Result<(), Damage> {
        if id.index() < self.namespaces {
            Ok(())
        } else {
            Err(format!("{what}: namespace {} out of range", id.index()))
        }
    }

    fn name(&self, id: NameId, at: &dyn Fn() -> String) -> Result<(), Damage> {
        if (id.0 as usize) < self.names {
            Ok(())
        } else {
            Err(format!("{}: name {} out of range", at(), id.0))
        }
    }

    fn type_index(&self, index: TypeIndex, at: &dyn Fn() -> String) -> Result<(), Damage> {
        if (index.0 as usize) < self.types {
            Ok(())
        } else {
            Err(format!("{}: type {} out of range", at(), index.0))
        }
    }

    fn element(&self, index: ElementIndex, at: &dyn Fn() -> String) -> Result<(), Damage> {
        if (index.0 as usize) < self.elements {
            Ok(())
        } else {
            Err(format!("{}: element {} out of range", at(), index.0))
        }
    }

    fn attribute(&self, index: AttributeIndex, at: &dyn Fn() -> String) -> Result<(), Damage> {
        if (index.0 as usize) < self.attributes {
            Ok(())
        } else {
            Err(format!("{}: attribute {} out of range", at(), index.0))
        }
    }

    fn namespace_set(&self, set: &NamespaceSet, what: &str) -> Result<(), Damage> {
        match set {
            NamespaceSet::Any => Ok(()),
            NamespaceSet::Not(n) => self.namespace(*n, what),
            // Sorted: `allows` searches it.
            NamespaceSet::Set(s) if s.is_sorted() => {
                s.iter().try_for_each(|&n| self.namespace(n, what))
            }
            NamespaceSet::Set(_) => Err(format!("{what}: namespace set not sorted")),
        }
    }
}

fn check_types(set: &SchemaSet, v: &Bounds) -> Result<(), Damage> {
    // anyType at index 0 is where every chain ends.
    if set.types.first().is_none_or(|t| t.base.is_some()) {
        return Err("type 0 is not anyType".to_owned());
    }
    for (i, t) in set.types.iter().enumerate() {
        let at = || format!("type {i}");
        if let Some(name) = t.name {
            v.name(name, &at)?;
        }
        if let Some(base) = t.base {
            v.type_index(base, &at)?;
        }
        let TypeBody::Complex(complex) = &t.body else {
            continue;
        };
        // Sorted by name: looked up by binary search.
        if !complex.attributes.is_sorted_by_key(|u| u.name) {
            return Err(format!("{}: attribute uses not sorted", at()));
        }
        for u in &complex.attributes {
            if let Some(value) = u.value.as_ref().and_then(|v| v.value.as_ref()) {
                canonical(value).map_err(|why| format!("{}: value constraint: {why}", at()))?;
            }
            v.name(u.name, &at)?;
            v.attribute(u.attribute, &at)?;
        }
        if let Some(w) = &complex.wildcard {
            v.namespace_set(&w.namespaces, &at())?;
        }
        if let Content::Elements { automaton, .. } = &complex.content {
            automaton
                .check_structure()
                .map_err(|why| format!("{}: content model: {why}", at()))?;
            for leaf in automaton.leaves() {
                match leaf {
                    Leaf::Element { head, names } => {
                        let names = names.of(head);
                        if !names.is_sorted_by_key(|l| l.name) {
                            return Err(format!("{}: leaf names not sorted", at()));
                        }
                        for l in std::iter::once(head).chain(names) {
                            v.name(l.name, &at)?;
                            v.namespace(l.namespace, "leaf")?;
                            v.element(l.element, &at)?;
                        }
                    }
                    Leaf::Wildcard(w) => v.namespace_set(&w.namespaces, &at())?,
                }
            }
        }
    }
    // Every base chain ends (at anyType): a walk from each type stops at a type already
    // known to end, or finds a loop by meeting a type of its own walk.
    const OPEN: u8 = 1;
    const ENDS: u8 = 2;
    let mut mark = vec![0u8; set.types.len()];
    for first in 0..set.types.len() {
        let mut i = first;
        while mark.get(i) == Some(&0) {
            mark[i] = OPEN;
            match set.types.get(i).and_then(|t| t.base) {
                Some(base) => i = base.0 as usize,
                None => break,
            }
        }
        if mark.get(i) == Some(&OPEN) && set.types.get(i).is_some_and(|t| t.base.is_some()) {
            return Err(format!("type {first}: its base chain loops"));
        }
        // Close this walk.
        let mut j = first;
        while mark.get(j) == Some(&OPEN) {
            mark[j] = ENDS;
            match set.types.get(j).and_then(|t| t.base) {
                Some(base) => j = base.0 as usize,
                None => break,
            }
        }
    }
    Ok(())
}

fn check_identity(set: &SchemaSet) -> Result<(), Damage> {
    let constraints = &set.identity.constraints;
    for (i, c) in constraints.iter().enumerate() {
        let damaged = |what: &str| Err(format!("identity constraint {i}: {what}"));
        if c.id.index() != i {
            return damaged("id differs from its position");
        }
        if c.field_texts.len() != c.fields.len() {
            return damaged("field texts and fields differ in number");
        }
        if let Category::KeyRef(refer) = c.category {
            match constraints.get(refer) {
                Some(r) if !matches!(r.category, Category::KeyRef(_)) => {
                    if r.fields.len() != c.fields.len() {
                        return damaged("field count differs from the referenced key's");
                    }
                }
                _ => return damaged("refers to no key or unique"),
            }
        }
    }
    Ok(())
}

/// Whether `value` is in the form parsing its canonical lexical form gives (see the module
/// comment): decimals, durations and date/time values, also as list items.
pub(super) fn canonical(value: &Value) -> Result<(), Damage> {
    let ok = match value {
        Value::Decimal(d) => Decimal::parse(&d.to_string()).as_ref() == Some(d),
        Value::Duration(d) => Duration::parse(&d.to_string()).as_ref() == Some(d),
        Value::DateTime(d) => {
            let builtin = match d.kind {
                DateTimeKind::DateTime => Builtin::DateTime,
                DateTimeKind::Time => Builtin::Time,
                DateTimeKind::Date => Builtin::Date,
                DateTimeKind::GYearMonth => Builtin::GYearMonth,
                DateTimeKind::GYear => Builtin::GYear,
                DateTimeKind::GMonthDay => Builtin::GMonthDay,
                DateTimeKind::GDay => Builtin::GDay,
                DateTimeKind::GMonth => Builtin::GMonth,
            };
            let no_namespaces: Vec<(String, String)> = Vec::new();
            match SimpleType::builtin(builtin).parse(&d.to_string(), &no_namespaces) {
                Ok(Value::DateTime(p)) => {
                    (p.kind, p.year, p.month, p.day) == (d.kind, d.year, d.month, d.day)
                        && (p.hour, p.minute, p.second) == (d.hour, d.minute, d.second)
                        && (&p.frac, p.tz) == (&d.frac, d.tz)
                }
                _ => false,
            }
        }
        Value::List(items) => return items.iter().try_for_each(canonical),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("value {value:?} is not in canonical form"))
    }
}
