//! The streaming matcher: scopes, selector and field states per open element, target rows.
//!
//! Every open element inside a scope has a [`Frame`]. Its match states are a contiguous run
//! of `states`: `(owner, path, step)` = "this selector or field path has matched `step`
//! name tests ending at this element". A child's states are computed from its parent's
//! run alone; `.//` paths keep their step-0 state alive at every depth. Scopes, target
//! rows and field slots are stacks too: whatever an element created is popped at its end.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::mem;

use super::table::{Binding, KeySeq, Lookup};
use super::xpath::Path;
use super::{
    AttributeSource, AttributeValue, Category, CompiledConstraint, ElementValue,
    IdentityConstraintSet, IdentityViolation,
};
use crate::datatypes::Value;
use crate::schema::IdentityConstraintId;

/// Checks the identity constraints of one document; see the [module docs](super).
#[derive(Debug)]
pub struct IdentityTracker<'s> {
    set: &'s IdentityConstraintSet,
    /// Serial number of the last started element: node identity for node tables.
    serial: u64,
    frames: Vec<Frame>,
    states: Vec<State>,
    scopes: Vec<Scope>,
    targets: Vec<Target>,
    slots: Vec<Slot>,
    /// Field slots waiting for the value of the element whose frame recorded them.
    pending: Vec<(u32, u32)>,
}

#[derive(Debug)]
struct Frame {
    states_start: usize,
    scopes_start: usize,
    targets_start: usize,
    pending_start: usize,
    value_wanted: bool,
    /// Key/unique tables at this element (own rows plus those moved up from children).
    bindings: Vec<Binding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The selector of `scopes[scope]`.
    Selector { scope: u32 },
    /// Field `field` of `targets[target]`.
    Field { target: u32, field: u32 },
}

#[derive(Debug, Clone, Copy)]
struct State {
    owner: Owner,
    path: u32,
    step: u32,
}

/// One constraint instance: the element that declares it and its rows so far.
#[derive(Debug)]
struct Scope {
    constraint: usize,
    /// Key/unique: the qualified node set, by key-sequence (for duplicates).
    rows: HashMap<KeySeq, u64>,
    /// Keyref: key-sequences to look up when the scope ends.
    references: Vec<KeySeq>,
}

/// A selected element whose fields are being collected.
#[derive(Debug)]
struct Target {
    scope: u32,
    node: u64,
    slots_start: usize,
}

#[derive(Debug)]
enum SlotValue {
    Empty,
    /// Selected an element whose value comes with its end.
    Pending,
    Value(Value),
    Nilled,
    /// No usable value; already reported (here or by the validator). Drops the row.
    Silent,
}

#[derive(Debug)]
struct Slot {
    value: SlotValue,
    /// The node last selected: (element serial, attribute index or `u32::MAX`), so that a
    /// union selecting one node through two paths counts it once.
    last: Option<(u64, u32)>,
    reported_twice: bool,
}

const ELEMENT_NODE: u32 = u32::MAX;

impl<'s> IdentityTracker<'s> {
    /// A tracker for one document.
    pub fn new(set: &'s IdentityConstraintSet) -> IdentityTracker<'s> {
        IdentityTracker {
            set,
            serial: 0,
            frames: Vec::new(),
            states: Vec::new(),
            scopes: Vec::new(),
            targets: Vec::new(),
            slots: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// True while some constraint scope is open (the calls do work).
    pub fn is_active(&self) -> bool {
        !self.frames.is_empty()
    }

    /// Reports the start of element `{namespace}local` (an empty namespace is none).
    /// `constraints` are those of its element declaration (empty when undeclared or
    /// skipped); `attributes` are its attributes, read only when a field may select one.
    pub fn start_element<A: AttributeSource + ?Sized>(
        &mut self,
        namespace: Option<&str>,
        local: &str,
        constraints: &[IdentityConstraintId],
        attributes: &A,
        out: &mut Vec<IdentityViolation>,
    ) {
        self.serial += 1;
        if self.frames.is_empty() && constraints.is_empty() {
            return;
        }
        let namespace = namespace.filter(|n| !n.is_empty());
        let set: &'s IdentityConstraintSet = self.set;
        let parent_states = self
            .frames
            .last()
            .map_or(0..0, |f| f.states_start..self.states.len());
        let node = self.serial;
        let states_start = self.states.len();
        self.frames.push(Frame {
            states_start,
            scopes_start: self.scopes.len(),
            targets_start: self.targets.len(),
            pending_start: self.pending.len(),
            value_wanted: false,
            bindings: Vec::new(),
        });

        // Advance the parent's states over this element.
        for i in parent_states {
            let Some(&state) = self.states.get(i) else {
                break;
            };
            let Some(path) = self.path(state.owner, state.path) else {
                continue;
            };
            if path.descendant && state.step == 0 {
                self.states.push(state);
            }
            if let Some(test) = path.steps.get(state.step as usize) {
                if test.matches(namespace, local) {
                    self.states.push(State {
                        step: state.step + 1,
                        ..state
                    });
                }
            }
        }

        // Open the scopes this element declares.
        for id in constraints {
            let Some(constraint) = set.constraints.get(id.index()) else {
                continue;
            };
            let scope = self.scopes.len() as u32;
            self.scopes.push(Scope {
                constraint: id.index(),
                rows: HashMap::new(),
                references: Vec::new(),
            });
            for path in 0..constraint.selector.paths.len() {
                self.states.push(State {
                    owner: Owner::Selector { scope },
                    path: path as u32,
                    step: 0,
                });
            }
        }

        // Selector matches make this element a target of their scopes.
        let selector_end = self.states.len();
        for i in states_start..selector_end {
            let Some(&State {
                owner: Owner::Selector { scope },
                path,
                step,
            }) = self.states.get(i)
            else {
                continue;
            };
            let Some(p) = self.path(Owner::Selector { scope }, path) else {
                continue;
            };
            if step as usize == p.steps.len() {
                self.add_target(scope, node);
            }
        }

        // Field matches: this element, or its attributes.
        let mut i = states_start;
        while let Some(&state) = self.states.get(i) {
            i += 1;
            let Owner::Field { target, field } = state.owner else {
                continue;
            };
            let Some(path) = self.path(state.owner, state.path) else {
                continue;
            };
            if state.step as usize != path.steps.len() {
                continue;
            }
            match &path.attribute {
                None => {
                    if self.select(target, field, (node, ELEMENT_NODE), out) {
                        if let Some(slot) = self.slot_mut(target, field) {
                            slot.value = SlotValue::Pending;
                        }
                        self.pending.push((target, field));
                        if let Some(frame) = self.frames.last_mut() {
                            frame.value_wanted = true;
                        }
                    }
                }
                Some(test) => {
                    for a in 0..attributes.attribute_count() {
                        let Some((ans, alocal)) = attributes.attribute_name(a) else {
                            break;
                        };
                        if !test.matches(ans.filter(|n| !n.is_empty()), alocal) {
                            continue;
                        }
                        if self.select(target, field, (node, a as u32), out) {
                            let value = match attributes.attribute_value(a) {
                                AttributeValue::Typed(v) => SlotValue::Value(v),
                                AttributeValue::Invalid => SlotValue::Silent,
                                AttributeValue::Untyped => {
                                    self.report_no_type(target, field, "an attribute", out);
                                    SlotValue::Silent
                                }
                            };
                            if let Some(slot) = self.slot_mut(target, field) {
                                slot.value = value;
                            }
                        }
                    }
                }
            }
        }
    }

    /// True when a field selects the element most recently started and not yet ended:
    /// [`end_element`](Self::end_element) then needs its typed value.
    pub fn wants_element_value(&self) -> bool {
        self.frames.last().is_some_and(|f| f.value_wanted)
    }

    /// Reports the end of the innermost open element with its value (see
    /// [`ElementValue`]; pass `Unavailable` when [`wants_element_value`] was false).
    ///
    /// [`wants_element_value`]: Self::wants_element_value
    pub fn end_element(&mut self, value: ElementValue<'_>, out: &mut Vec<IdentityViolation>) {
        let Some(frame) = self.frames.pop() else {
            return;
        };

        // Deliver this element's value to the fields that selected it.
        let pending = mem::take(&mut self.pending);
        for &(target, field) in pending.get(frame.pending_start..).unwrap_or(&[]) {
            self.deliver(target, field, value, out);
        }
        self.pending = pending;
        self.pending.truncate(frame.pending_start);

        // Complete the rows whose target is this element.
        for t in frame.targets_start..self.targets.len() {
            self.complete_target(t, out);
        }
        if let Some(first) = self.targets.get(frame.targets_start) {
            self.slots.truncate(first.slots_start);
        }
        self.targets.truncate(frame.targets_start);

        // Close the scopes this element declared: tables first, then keyrefs against them.
        let mut bindings = frame.bindings;
        let mut scopes = self
            .scopes
            .split_off(frame.scopes_start.min(self.scopes.len()));
        for i in 0..scopes.len() {
            let Some(constraint) = scopes.get(i).map(|s| s.constraint) else {
                continue;
            };
            let referenced = self
                .set
                .constraints
                .get(constraint)
                .is_some_and(|c| c.referenced);
            if !referenced || !self.keyref_open(constraint, &scopes) {
                continue;
            }
            let rows = scopes.get_mut(i).map(|s| mem::take(&mut s.rows));
            if let (Some(binding), Some(rows)) = (binding_for(&mut bindings, constraint), rows) {
                for (key, node) in rows {
                    binding.add(key, node);
                }
            }
        }
        for scope in &scopes {
            self.check_keyref(scope, &bindings, out);
        }
        drop(scopes);

        self.states.truncate(frame.states_start);

        // Move the tables up while a keyref scope above may still look at them.
        if let Some(parent) = self.frames.last_mut() {
            for b in bindings {
                let open = self.scopes.iter().any(|s| {
                    matches!(
                        self.set.constraints.get(s.constraint).map(|c| c.category),
                        Some(Category::KeyRef(r)) if r == b.constraint
                    )
                });
                if !open {
                    continue;
                }
                match parent
                    .bindings
                    .iter_mut()
                    .find(|p| p.constraint == b.constraint)
                {
                    Some(p) => p.absorb(b),
                    None => parent.bindings.push(b),
                }
            }
        }
    }

    /// Capacity held by the per-element stacks (tests check that idle runs allocate none).
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.frames.capacity()
            + self.states.capacity()
            + self.scopes.capacity()
            + self.targets.capacity()
            + self.slots.capacity()
            + self.pending.capacity()
    }

    /// Whether a keyref referring to `constraint` is open at this element or above.
    fn keyref_open(&self, constraint: usize, closing: &[Scope]) -> bool {
        self.scopes.iter().chain(closing).any(|s| {
            matches!(
                self.set.constraints.get(s.constraint).map(|c| c.category),
                Some(Category::KeyRef(r)) if r == constraint
            )
        })
    }

    fn path(&self, owner: Owner, path: u32) -> Option<&'s Path> {
        let set: &'s IdentityConstraintSet = self.set;
        match owner {
            Owner::Selector { scope } => {
                let s = self.scopes.get(scope as usize)?;
                set.constraints
                    .get(s.constraint)?
                    .selector
                    .paths
                    .get(path as usize)
            }
            Owner::Field { target, field } => {
                let t = self.targets.get(target as usize)?;
                let s = self.scopes.get(t.scope as usize)?;
                set.constraints
                    .get(s.constraint)?
                    .fields
                    .get(field as usize)?
                    .paths
                    .get(path as usize)
            }
        }
    }

    fn constraint_of_target(&self, target: u32) -> Option<&'s CompiledConstraint> {
        let set: &'s IdentityConstraintSet = self.set;
        let t = self.targets.get(target as usize)?;
        let s = self.scopes.get(t.scope as usize)?;
        set.constraints.get(s.constraint)
    }

    fn slot_mut(&mut self, target: u32, field: u32) -> Option<&mut Slot> {
        let start = self.targets.get(target as usize)?.slots_start;
        self.slots.get_mut(start + field as usize)
    }

    /// Makes the current element a target of `scope` (once per scope) and starts its fields.
    fn add_target(&mut self, scope: u32, node: u64) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        let exists = self
            .targets
            .get(frame.targets_start..)
            .is_some_and(|ts| ts.iter().any(|t| t.scope == scope));
        let Some(constraint) = self
            .scopes
            .get(scope as usize)
            .and_then(|s| self.set.constraints.get(s.constraint))
        else {
            return;
        };
        if exists {
            return;
        }
        let target = self.targets.len() as u32;
        self.targets.push(Target {
            scope,
            node,
            slots_start: self.slots.len(),
        });
        for (f, field) in constraint.fields.iter().enumerate() {
            self.slots.push(Slot {
                value: SlotValue::Empty,
                last: None,
                reported_twice: false,
            });
            for p in 0..field.paths.len() {
                self.states.push(State {
                    owner: Owner::Field {
                        target,
                        field: f as u32,
                    },
                    path: p as u32,
                    step: 0,
                });
            }
        }
    }

    /// Records that a field selected `node`; true when it is the field's first node.
    fn select(
        &mut self,
        target: u32,
        field: u32,
        node: (u64, u32),
        out: &mut Vec<IdentityViolation>,
    ) -> bool {
        let constraint = self.constraint_of_target(target);
        let Some(slot) = self.slot_mut(target, field) else {
            return false;
        };
        match slot.last {
            None => {
                slot.last = Some(node);
                true
            }
            Some(last) if last == node => false,
            Some(_) => {
                slot.last = Some(node);
                if !mem::replace(&mut slot.reported_twice, true) {
                    if let Some(c) = constraint {
                        out.push(violation(
                            c,
                            "cvc-identity-constraint.3",
                            format!(
                                "field '{}' of {} '{}' selects more than one node",
                                c.field_texts.get(field as usize).map_or("", |t| &**t),
                                c.category_name(),
                                c.name
                            ),
                        ));
                    }
                }
                false
            }
        }
    }

    fn deliver(
        &mut self,
        target: u32,
        field: u32,
        value: ElementValue<'_>,
        out: &mut Vec<IdentityViolation>,
    ) {
        let value = match value {
            ElementValue::Simple(v) => SlotValue::Value(v.clone()),
            ElementValue::Nilled => SlotValue::Nilled,
            ElementValue::Unavailable => SlotValue::Silent,
            ElementValue::NotSimple => {
                self.report_no_type(target, field, "an element", out);
                SlotValue::Silent
            }
        };
        if let Some(slot) = self.slot_mut(target, field) {
            slot.value = value;
        }
    }

    /// A field selected a node without a simple type (cvc-identity-constraint.3).
    fn report_no_type(
        &self,
        target: u32,
        field: u32,
        what: &str,
        out: &mut Vec<IdentityViolation>,
    ) {
        if let Some(c) = self.constraint_of_target(target) {
            out.push(violation(
                c,
                "cvc-identity-constraint.3",
                format!(
                    "field '{}' of {} '{}' selects {what} without a simple type \
                     (complex content, or not validated)",
                    field_text(c, field as usize),
                    c.category_name(),
                    c.name
                ),
            ));
        }
    }

    /// Turns target row `t` into a key-sequence of its scope, or reports why it cannot be.
    fn complete_target(&mut self, t: usize, out: &mut Vec<IdentityViolation>) {
        let Some(target) = self.targets.get(t) else {
            return;
        };
        let (scope_index, node, start) = (target.scope as usize, target.node, target.slots_start);
        let set: &'s IdentityConstraintSet = self.set;
        let Some(constraint) = self
            .scopes
            .get(scope_index)
            .and_then(|s| set.constraints.get(s.constraint))
        else {
            return;
        };
        let n = constraint.fields.len();
        let Some(slots) = self.slots.get_mut(start..start + n) else {
            return;
        };
        let is_key = constraint.category == Category::Key;
        let mut missing = None;
        for (f, slot) in slots.iter().enumerate() {
            match slot.value {
                SlotValue::Silent => return,
                SlotValue::Nilled => {
                    let (rule, what) = if is_key {
                        ("cvc-identity-constraint.4.2.3", "a key")
                    } else {
                        // libxml2 rejects nilled fields of every category: no value.
                        ("cvc-identity-constraint.3", "an identity constraint")
                    };
                    out.push(violation(
                        constraint,
                        rule,
                        format!(
                            "field '{}' of {} '{}' selects a nilled element, which has no value \
                             for {what}",
                            field_text(constraint, f),
                            constraint.category_name(),
                            constraint.name
                        ),
                    ));
                    return;
                }
                SlotValue::Empty | SlotValue::Pending => {
                    missing.get_or_insert(f);
                }
                SlotValue::Value(_) => {}
            }
        }
        if let Some(f) = missing {
            if is_key {
                out.push(violation(
                    constraint,
                    "cvc-identity-constraint.4.2.1",
                    format!(
                        "key '{}': field '{}' selects nothing, but every field of a key must \
                         have a value",
                        constraint.name,
                        field_text(constraint, f)
                    ),
                ));
            }
            return;
        }
        let key: KeySeq = slots
            .iter_mut()
            .filter_map(|s| match mem::replace(&mut s.value, SlotValue::Empty) {
                SlotValue::Value(v) => Some(v),
                _ => None,
            })
            .collect();
        let Some(scope) = self.scopes.get_mut(scope_index) else {
            return;
        };
        match constraint.category {
            Category::KeyRef(_) => scope.references.push(key),
            Category::Unique | Category::Key => match scope.rows.entry(key) {
                Entry::Occupied(row) => {
                    let (rule, what) = if is_key {
                        ("cvc-identity-constraint.4.2.2", "key")
                    } else {
                        ("cvc-identity-constraint.4.1", "unique")
                    };
                    out.push(violation(
                        constraint,
                        rule,
                        format!(
                            "duplicate {what} value {} for {what} '{}'",
                            show_key(row.key()),
                            constraint.name
                        ),
                    ));
                }
                Entry::Vacant(row) => {
                    row.insert(node);
                }
            },
        }
    }

    fn check_keyref(&self, scope: &Scope, bindings: &[Binding], out: &mut Vec<IdentityViolation>) {
        let Some(c) = self.set.constraints.get(scope.constraint) else {
            return;
        };
        let Category::KeyRef(refer) = c.category else {
            return;
        };
        let referred = self.set.constraints.get(refer);
        let table = bindings.iter().find(|b| b.constraint == refer);
        for key in &scope.references {
            let lookup = table.map_or(Lookup::Missing, |t| t.lookup(key));
            let problem = match lookup {
                Lookup::Found => continue,
                Lookup::Ambiguous => "more than one element in scope has that value",
                Lookup::Missing => "no element in scope has that value",
            };
            out.push(violation(
                c,
                "cvc-identity-constraint.4.3",
                format!(
                    "keyref '{}' value {} does not match a {} '{}': {problem}",
                    c.name,
                    show_key(key),
                    referred.map_or("key", |r| r.category_name()),
                    referred.map_or("", |r| &*r.name),
                ),
            ));
        }
    }
}

fn binding_for(bindings: &mut Vec<Binding>, constraint: usize) -> Option<&mut Binding> {
    match bindings.iter().position(|b| b.constraint == constraint) {
        Some(i) => bindings.get_mut(i),
        None => {
            bindings.push(Binding::new(constraint));
            bindings.last_mut()
        }
    }
}

fn field_text(c: &CompiledConstraint, field: usize) -> &str {
    c.field_texts.get(field).map_or("", |t| t)
}

fn violation(c: &CompiledConstraint, rule: &'static str, message: String) -> IdentityViolation {
    IdentityViolation {
        rule,
        message,
        constraint: c.id,
    }
}

/// `('A1')`, `('A1', '2')`: the key values as in messages.
fn show_key(key: &[Value]) -> String {
    let mut s = String::from("(");
    for (i, v) in key.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "'{v}'");
    }
    s.push(')');
    s
}
