//! Streaming evaluation of a [`Plan`] over one pass of element events.
//!
//! **Architecture Invariant:** no DOM of the source. For each open element the evaluator keeps
//! the path steps still live below it (`Entry`: step node, frame, sibling count). The paths of
//! a scope are merged into trees of steps (`StepNode`, built when the plan compiles), so a
//! prefix several paths share is matched once; a step whose paths have all filled their slots
//! is not entered again (first match wins). An element that no live step names costs a level
//! push and pop and nothing else. Text is kept only while a selected node is open (`Capture`),
//! and only for slots not yet filled: memory is bounded by the selected data and the nesting
//! depth, not by the document. [`Evaluation::buffered_bytes`] measures it.
//!
//! Repeated groups open a frame per matched element; its fields are evaluated when the
//! element closes and the finished record goes into a slot reserved in the parent frame when
//! the element opened, which keeps document order even when items of one group nest.

use super::expression::{Expr, Values};
use super::output::{self, Item};
use super::path::{Axis, Terminal};
use super::plan::{FieldContent, FieldSpec, Plan, StepNode, Target};
use super::MappingError;
use xsd_validator::reader::Attribute;

/// What a source of element events calls; a validator `Sink` adapter maps 1:1 onto it.
pub trait MappingEvents {
    /// `attributes` are looked up by name only when a step's predicate or an `@attr` terminal
    /// needs them, so a source passes its own attribute list as it is (no copy per element).
    fn start_element(&mut self, namespace: Option<&str>, local: &str, attributes: &dyn Attributes);
    fn text(&mut self, text: &str);
    fn end_element(&mut self);
}

/// A start tag's attributes (namespace declarations excluded), by expanded name.
pub trait Attributes {
    fn value(&self, namespace: Option<&str>, local: &str) -> Option<&str>;
}

/// The workspace reader's (and validator's) attributes, as they come.
pub struct ReaderAttributes<'s, 'a>(pub &'s [Attribute<'a>]);

impl Attributes for ReaderAttributes<'_, '_> {
    fn value(&self, namespace: Option<&str>, local: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|a| a.name.local == local && a.name.namespace == namespace)
            .map(|a| a.value.as_ref())
    }
}

/// `(namespace, local name, value)` triples.
impl<const N: usize> Attributes for [(Option<&str>, &str, &str); N] {
    fn value(&self, namespace: Option<&str>, local: &str) -> Option<&str> {
        self.iter()
            .find(|(ns, l, _)| *l == local && *ns == namespace)
            .map(|(_, _, value)| *value)
    }
}

impl Attributes for Vec<(Option<&str>, &str, &str)> {
    fn value(&self, namespace: Option<&str>, local: &str) -> Option<&str> {
        self.iter()
            .find(|(ns, l, _)| *l == local && *ns == namespace)
            .map(|(_, _, value)| *value)
    }
}

/// A start tag without attributes.
pub struct NoAttributes;

impl Attributes for NoAttributes {
    fn value(&self, _namespace: Option<&str>, _local: &str) -> Option<&str> {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The step ([`super::plan::StepNode`]) to match against children of the element this
    /// entry belongs to.
    node: u32,
    frame: u32,
    /// Children that passed the step's name and attribute tests (for `[n]`).
    count: u32,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    /// Where this element's entries start in `entries`.
    start: usize,
    /// Frames opened at this element (group items), closed with it.
    frames_opened: u32,
}

#[derive(Debug)]
struct Frame {
    scope: usize,
    slots: Vec<Option<String>>,
    /// Per group: one reserved place per item, filled when the item closes.
    groups: Vec<Vec<Option<Item>>>,
    /// (parent frame, group, item index) for group items; None for the document.
    parent: Option<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
struct Capture {
    frame: usize,
    slot: usize,
    depth: usize,
    own_text_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    BeforeRoot,
    InRoot,
    Done,
}

/// One evaluation of a plan over one document.
pub struct Evaluation<'p> {
    plan: &'p Plan,
    phase: Phase,
    levels: Vec<Level>,
    entries: Vec<Entry>,
    frames: Vec<Frame>,
    captures: Vec<Capture>,
    failure: Option<MappingError>,
    result: Option<Item>,
    buffered_bytes: usize,
    peak_buffered_bytes: usize,
    peak_live_entries: usize,
}

impl Plan {
    /// Starts an evaluation; feed it events, then call [`Evaluation::finish`].
    pub fn evaluation(&self) -> Evaluation<'_> {
        Evaluation {
            plan: self,
            phase: Phase::BeforeRoot,
            // Sized once for a typical document, not grown step by step per message.
            levels: Vec::with_capacity(16),
            entries: Vec::with_capacity(self.selectors.len() * 2),
            frames: Vec::with_capacity(4),
            captures: Vec::with_capacity(4),
            failure: None,
            result: None,
            buffered_bytes: 0,
            peak_buffered_bytes: 0,
            peak_live_entries: 0,
        }
    }
}

impl Evaluation<'_> {
    /// Bytes of selected text currently held (captured values and finished group items).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// The most [`buffered_bytes`](Self::buffered_bytes) held at any point so far.
    pub fn peak_buffered_bytes(&self) -> usize {
        self.peak_buffered_bytes
    }

    /// The most live path steps held at once (bounded by plan size times nesting depth).
    pub fn peak_live_entries(&self) -> usize {
        self.peak_live_entries
    }

    /// Whether the document maps, without keeping the payload: every value is computed and
    /// checked, but the output is only written when the receiver's schema must see it. What
    /// the accept path needs (delivery writes the payload from the stored original).
    pub fn check(self) -> Result<(), MappingError> {
        if self.plan.output_schema.is_some() {
            return self.finish().map(drop);
        }
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        match self.result {
            Some(_) => Ok(()),
            None => Err(MappingError::Incomplete),
        }
    }

    /// The mapped payload, or the first problem met.
    pub fn finish(self) -> Result<Vec<u8>, MappingError> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        let Some(item) = self.result else {
            return Err(MappingError::Incomplete);
        };
        let bytes = output::write(self.plan, &item);
        if let Some(schema) = &self.plan.output_schema {
            schema
                .validate(&bytes)
                .map_err(|violations| MappingError::InvalidOutput { violations })?;
        }
        Ok(bytes)
    }

    fn fail(&mut self, error: MappingError) {
        if self.failure.is_none() {
            self.failure = Some(error);
        }
        self.phase = Phase::Done;
    }

    fn grow(&mut self, bytes: usize) {
        self.buffered_bytes += bytes;
        self.peak_buffered_bytes = self.peak_buffered_bytes.max(self.buffered_bytes);
    }

    fn slot_filled(&self, frame: u32, target: Target) -> bool {
        match target {
            Target::Slot(slot) => self.filled(frame, slot),
            Target::Item { .. } => false,
        }
    }

    fn filled(&self, frame: u32, slot: usize) -> bool {
        self.frames
            .get(frame as usize)
            .and_then(|f| f.slots.get(slot))
            .is_some_and(Option::is_some)
    }

    /// Whether every path through `node` has filled its slot in `frame`: first match wins,
    /// so nothing below needs matching any more.
    fn settled(&self, node: &StepNode, frame: u32) -> bool {
        node.slots
            .as_ref()
            .is_some_and(|slots| slots.iter().all(|&slot| self.filled(frame, slot)))
    }

    /// Makes `node` live below the element whose entries start at `level_start`.
    fn push_entry(&mut self, level_start: usize, node: u32, frame: u32) {
        let plan = self.plan;
        let Some(spec) = plan.nodes.get(node as usize) else {
            return;
        };
        if self.settled(spec, frame) {
            return;
        }
        // A `//` step reaches an element both by carrying itself down and as its parent's
        // child; a node set has each node once. A child step has one origin (its parent's
        // entry, itself unique): no search.
        let exists = spec.step.axis == Axis::Descendant
            && self
                .entries
                .get(level_start..)
                .is_some_and(|live| live.iter().any(|e| e.node == node && e.frame == frame));
        if !exists {
            self.entries.push(Entry {
                node,
                frame,
                count: 0,
            });
        }
    }

    /// Starts the selectors of `scope` at the element just opened (its level is the last).
    fn activate(&mut self, scope: usize, frame: usize, attributes: &dyn Attributes) {
        let plan = self.plan;
        let Some(spec) = plan.scopes.get(scope) else {
            return;
        };
        let depth = self.levels.len();
        let level_start = self.levels.last().map_or(0, |l| l.start);
        // `.`, `text()` or `@attr` of the context element itself.
        for &selector in &spec.immediate {
            self.matched(selector, frame, depth, attributes);
        }
        for &root in &spec.roots {
            self.push_entry(level_start, root, frame as u32);
        }
    }

    /// The last step of `selector` matched the element at `depth`.
    fn matched(
        &mut self,
        selector: usize,
        frame: usize,
        depth: usize,
        attributes: &dyn Attributes,
    ) {
        let plan = self.plan;
        let Some(sel) = plan.selectors.get(selector) else {
            return;
        };
        match sel.target {
            Target::Slot(slot) => {
                if self.slot_filled(frame as u32, sel.target) {
                    return;
                }
                let value = match &sel.path.terminal {
                    Terminal::Attribute(name) => {
                        match attributes.value(name.namespace.as_deref(), &name.local) {
                            Some(value) => value.to_owned(),
                            // XPath's `a/@x` is the first `a` that has one: keep looking.
                            None => return,
                        }
                    }
                    Terminal::Text | Terminal::StringValue => {
                        self.captures.push(Capture {
                            frame,
                            slot,
                            depth,
                            own_text_only: sel.path.terminal == Terminal::Text,
                        });
                        String::new()
                    }
                };
                self.grow(value.len());
                if let Some(place) = self
                    .frames
                    .get_mut(frame)
                    .and_then(|f| f.slots.get_mut(slot))
                {
                    *place = Some(value);
                }
            }
            Target::Item { scope, group } => {
                let Some(spec) = plan.scopes.get(scope) else {
                    return;
                };
                let Some(items) = self
                    .frames
                    .get_mut(frame)
                    .and_then(|f| f.groups.get_mut(group))
                else {
                    return;
                };
                let index = items.len();
                items.push(None);
                self.frames.push(Frame {
                    scope,
                    slots: vec![None; spec.slots],
                    groups: vec![Vec::new(); spec.groups],
                    parent: Some((frame, group, index)),
                });
                if let Some(level) = self.levels.last_mut() {
                    level.frames_opened += 1;
                }
                let new_frame = self.frames.len() - 1;
                self.activate(scope, new_frame, attributes);
            }
        }
    }

    fn start_root(&mut self, namespace: Option<&str>, local: &str, attributes: &dyn Attributes) {
        let plan = self.plan;
        if !plan.root.matches(namespace, local) {
            let found = match namespace {
                Some(ns) => format!("{{{ns}}}{local}"),
                None => local.to_owned(),
            };
            self.fail(MappingError::WrongRoot {
                expected: plan.root.to_string(),
                found,
            });
            return;
        }
        self.phase = Phase::InRoot;
        let Some(document) = plan.scopes.first() else {
            return;
        };
        self.frames.push(Frame {
            scope: 0,
            slots: vec![None; document.slots],
            groups: vec![Vec::new(); document.groups],
            parent: None,
        });
        self.levels.push(Level {
            start: 0,
            frames_opened: 1,
        });
        self.activate(0, 0, attributes);
    }

    fn close_frame(&mut self) {
        let Some(mut frame) = self.frames.pop() else {
            return;
        };
        let slot_bytes: usize = frame.slots.iter().flatten().map(String::len).sum();
        let group_bytes: usize = frame
            .groups
            .iter()
            .flatten()
            .flatten()
            .map(Item::byte_size)
            .sum();
        let record = match self.record(&mut frame) {
            Ok(record) => record,
            Err(error) => {
                self.fail(error);
                return;
            }
        };
        self.buffered_bytes = self.buffered_bytes.saturating_sub(slot_bytes + group_bytes);
        self.grow(record.as_ref().map_or(0, Item::byte_size));
        // Only an item of a group of values can be missing: its place stays empty.
        let Some(record) = record else {
            return;
        };
        match frame.parent {
            Some((parent, group, index)) => {
                if let Some(place) = self
                    .frames
                    .get_mut(parent)
                    .and_then(|f| f.groups.get_mut(group))
                    .and_then(|g| g.get_mut(index))
                {
                    *place = Some(record);
                }
            }
            None => {
                self.result = Some(record);
                self.phase = Phase::Done;
            }
        }
    }

    /// What a closing frame contributes: a record, or for an item of a group of values its
    /// value (`None` when it has none).
    fn record(&self, frame: &mut Frame) -> Result<Option<Item>, MappingError> {
        // The plan outlives the evaluation: its field list is borrowed, not copied.
        let plan = self.plan;
        let Some(scope) = plan.scopes.get(frame.scope) else {
            return Ok(Some(Item::Record(Vec::new())));
        };
        match scope.value {
            Some(value) => self.field(value, frame),
            None => self.record_of(&scope.fields, frame).map(Some),
        }
    }

    fn record_of(&self, fields: &[usize], frame: &mut Frame) -> Result<Item, MappingError> {
        let mut entries = Vec::with_capacity(fields.len());
        for &id in fields {
            if let Some(item) = self.field(id, frame)? {
                entries.push((id, item));
            }
        }
        Ok(Item::Record(entries))
    }

    fn field(&self, id: usize, frame: &mut Frame) -> Result<Option<Item>, MappingError> {
        let plan = self.plan;
        let Some(field) = plan.fields.get(id) else {
            return Ok(None);
        };
        match &field.content {
            FieldContent::Object(children) => self.record_of(children, frame).map(Some),
            FieldContent::Group { group, .. } => {
                let items: Vec<Item> = frame
                    .groups
                    .get_mut(*group)
                    .map(std::mem::take)
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                    .collect();
                if field.required && items.is_empty() {
                    return Err(MappingError::MissingRequired {
                        field: field.location.clone(),
                        path: field.source.clone(),
                    });
                }
                Ok(Some(Item::List(items)))
            }
            // A bare path (the common case) hands over its captured text: each path has a slot
            // of its own and is read once per record, so nothing needs to be copied.
            FieldContent::Value(Expr::Path(slot)) => {
                let value = frame.slots.get_mut(*slot).and_then(Option::take);
                self.finish_value(field, value)
            }
            FieldContent::Value(expr) => {
                let values = Values {
                    slots: &frame.slots,
                    codelists: &plan.codelists,
                };
                let value = expr.eval(&values).map_err(|problem| match problem {
                    super::expression::EvalProblem::InvalidValue { function, expected } => {
                        MappingError::InvalidValue {
                            field: field.location.clone(),
                            expected: format!("{function}: {expected}"),
                        }
                    }
                    super::expression::EvalProblem::UnknownCode(unknown) => {
                        MappingError::UnknownCode {
                            field: field.location.clone(),
                            list: unknown.list,
                            code: unknown.code,
                        }
                    }
                })?;
                self.finish_value(field, value)
            }
        }
    }

    /// `default`, `type` and `required` applied to a field's value.
    fn finish_value(
        &self,
        field: &FieldSpec,
        value: Option<String>,
    ) -> Result<Option<Item>, MappingError> {
        let value = match value {
            Some(text) if !text.is_empty() => Some(text),
            other => field.default.clone().or(other),
        };
        let typed = match value {
            Some(text) => output::typed(text, field.value_type).map_err(|expected| {
                MappingError::InvalidValue {
                    field: field.location.clone(),
                    expected: expected.to_owned(),
                }
            })?,
            None => None,
        };
        match typed {
            Some(text) if !(field.required && text.is_empty()) => Ok(Some(Item::Scalar(text))),
            _ if field.required => Err(MappingError::MissingRequired {
                field: field.location.clone(),
                path: field.source.clone(),
            }),
            _ => Ok(None),
        }
    }
}

impl MappingEvents for Evaluation<'_> {
    fn start_element(&mut self, namespace: Option<&str>, local: &str, attributes: &dyn Attributes) {
        match self.phase {
            Phase::Done => return,
            Phase::BeforeRoot => return self.start_root(namespace, local, attributes),
            Phase::InRoot => {}
        }
        let plan = self.plan;
        let parent_start = self.levels.last().map_or(0, |l| l.start);
        let parent_end = self.entries.len();
        let level_start = self.entries.len();
        self.levels.push(Level {
            start: level_start,
            frames_opened: 0,
        });
        let depth = self.levels.len();
        for index in parent_start..parent_end {
            let Some(entry) = self.entries.get(index).copied() else {
                break;
            };
            let Some(node) = plan.nodes.get(entry.node as usize) else {
                continue;
            };
            let step = &node.step;
            if step.axis == Axis::Descendant && !self.settled(node, entry.frame) {
                self.push_entry(level_start, entry.node, entry.frame);
            }
            if !step.test.matches(namespace, local)
                || !step.predicates.iter().all(|p| p.accepts(attributes))
            {
                continue;
            }
            if let Some(position) = node.position {
                let Some(live) = self.entries.get_mut(index) else {
                    continue;
                };
                live.count = live.count.saturating_add(1);
                if live.count != position {
                    continue;
                }
            }
            for &child in &node.children {
                self.push_entry(level_start, child, entry.frame);
            }
            for &selector in &node.ends {
                self.matched(selector, entry.frame as usize, depth, attributes);
            }
        }
        self.peak_live_entries = self.peak_live_entries.max(self.entries.len());
    }

    fn text(&mut self, text: &str) {
        if self.phase != Phase::InRoot || self.captures.is_empty() {
            return;
        }
        let depth = self.levels.len();
        let mut grown = 0;
        for capture in &self.captures {
            let wanted = if capture.own_text_only {
                capture.depth == depth
            } else {
                capture.depth <= depth
            };
            if !wanted {
                continue;
            }
            if let Some(Some(slot)) = self
                .frames
                .get_mut(capture.frame)
                .and_then(|f| f.slots.get_mut(capture.slot))
            {
                slot.push_str(text);
                grown += text.len();
            }
        }
        self.grow(grown);
    }

    fn end_element(&mut self) {
        if self.phase != Phase::InRoot {
            return;
        }
        let depth = self.levels.len();
        self.captures.retain(|c| c.depth != depth);
        let Some(level) = self.levels.pop() else {
            return;
        };
        self.entries.truncate(level.start);
        for _ in 0..level.frames_opened {
            self.close_frame();
            if self.failure.is_some() {
                return;
            }
        }
    }
}
