//! The validator: one pass over reader events with a stack of per-element frames.

use std::collections::HashSet;

use crate::compile::{
    AttributeDeclaration, AttributeIndex, AttributeUseRule, Content, ElementDeclaration,
    ElementIndex, ElementInput, IdKind, Leaf, NameId, NamespaceSet, SchemaSet, SimpleRule,
    TypeBody, TypeDefinition, TypeIndex, TypeRule, ValueRule, FOREIGN_NAMESPACE, XSI_NS,
};
use crate::content_model::{Automaton, MatchState};
use crate::datatypes::{
    normalize_whitespace, Builtin, NamespaceContext, Value, ValueError, WhiteSpace,
};
use std::io::Read;

use crate::reader::{
    same_bytes, Attribute, EventStream, Position, QName, ReadError, Reader, StartTag, Step,
    StreamError, XmlError,
};
use crate::schema::{DerivationSet, IdentityConstraintId, NamespaceId, ProcessContents};

use crate::identity::{
    AttributeSource, AttributeValue, ElementValue, IdentityTracker, IdentityViolation,
};

use super::{ElementEvent, EndEvent, Outcome, Sink, ValidationOptions, Violation};

/// Namespace names remembered per document.
const NAMESPACE_CACHE: usize = 8;

/// Slots of the per-document name cache (direct-mapped, see [`NameCache`]): an XBau message
/// uses some 530 distinct element names, which thrashed 64 slots.
const NAME_CACHE_SLOTS: usize = 1024;

/// Longest piece of a value quoted in a message.
const QUOTE_CHARS: usize = 64;

pub(super) fn validate(
    set: &SchemaSet,
    input: &[u8],
    options: &ValidationOptions,
    sink: &mut dyn Sink,
) -> Outcome {
    let mut reader = Reader::from_slice(input, options.limits);
    let mut run = Run::new(set, sink, options);
    loop {
        match run.window(&mut reader) {
            Ok(true) => return run.outcome(true),
            // Never: a slice reader's one window is the whole document.
            Ok(false) => reader.end_of_input(),
            Err(e) => return run.refused(&e),
        }
    }
}

/// [`validate`] over a document read from `input`, `window` bytes at a time.
pub(super) fn validate_read(
    set: &SchemaSet,
    input: &mut dyn Read,
    options: &ValidationOptions,
    sink: &mut dyn Sink,
    window: usize,
) -> Result<Outcome, ReadError> {
    let mut run = Run::new(set, sink, options);
    let stream = EventStream::with_window(input, options.limits, window);
    match stream.drive_windows(&mut |reader| run.window(reader)) {
        Ok(()) => Ok(run.outcome(true)),
        Err(StreamError::Xml(e)) => Ok(run.refused(&e)),
        Err(StreamError::Io(e)) => Err(e),
    }
}

/// What governs the content of an open element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentKind {
    /// Content is not validated (`processContents="skip"`, or after an unrecoverable error).
    Skip,
    Empty,
    Simple,
    ElementOnly,
    Mixed,
}

#[derive(Debug)]
struct Frame<'s> {
    element: Option<ElementIndex>,
    type_index: TypeIndex,
    content: ContentKind,
    /// The content model of element-only and mixed content (looked up once, at the start tag).
    automaton: Option<&'s Automaton<Leaf>>,
    state: MatchState,
    nil: bool,
    /// A child was already refused; later children are not checked against the model.
    content_failed: bool,
    has_children: bool,
    /// Where this element's text starts in `Run::text` (simple content, fixed mixed values).
    text_start: usize,
    collect_text: bool,
}

/// How a child element is to be validated.
#[derive(Debug, Clone, Copy)]
enum Governor {
    Declared(ElementIndex),
    /// No declaration: validated laxly as anyType (or its xsi:type).
    Lax,
    Skip,
}

struct Run<'s, 'k> {
    set: &'s SchemaSet,
    sink: &'k mut dyn Sink,
    want_values: bool,
    want_events: bool,
    max_violations: usize,
    violations: Vec<Violation>,
    truncated: bool,
    frames: Vec<Frame<'s>>,
    /// Open elements inside a skipped element (not framed).
    skip_depth: usize,
    text: String,
    seen_uses: Vec<bool>,
    attribute_declarations: Vec<Option<AttributeDeclaration<'s>>>,
    ids: HashSet<Box<str>>,
    idrefs: Vec<PendingIdRef>,
    full_id_checks: bool,
    /// Namespace names seen in this document (documents use few), so that most lookups are
    /// one short comparison instead of a hash of the URI.
    namespace_cache: Vec<(Box<str>, NamespaceId)>,
    /// The address range of the input, and the last namespace name found that borrows
    /// from it (address, length) with its id.
    input: std::ops::Range<*const u8>,
    last_namespace: ((*const u8, usize), NamespaceId),
    names: NameCache<'s>,
    /// unique/key/keyref: told about every element; its violations land in `identity_out`.
    tracker: IdentityTracker<'s>,
    identity_out: Vec<IdentityViolation>,
}

/// Element and attribute names found in the schema's name table, remembered per document: a
/// document uses few distinct names, and a slot hit costs a hash of at most 16 bytes and a
/// short comparison where the table costs a hash of the whole name, a probe and a `memcmp`.
/// A colliding name replaces the slot's entry. Names the schema does not declare are not
/// remembered (they go to the table each time, and are rare in valid documents).
struct NameCache<'s> {
    slots: Vec<Option<(NamespaceId, &'s str, NameId)>>,
}

impl Default for NameCache<'_> {
    fn default() -> Self {
        NameCache {
            slots: vec![None; NAME_CACHE_SLOTS],
        }
    }
}

impl<'s> NameCache<'s> {
    #[inline(always)]
    fn name_id(
        &mut self,
        set: &'s SchemaSet,
        namespace: NamespaceId,
        local: &str,
    ) -> Option<NameId> {
        let bytes = local.as_bytes();
        let slot = name_slot(namespace, bytes);
        if let Some(Some((ns, cached, id))) = self.slots.get(slot) {
            if *ns == namespace && same_bytes(cached.as_bytes(), bytes) {
                return Some(*id);
            }
        }
        let id = set.name_id(namespace, local)?;
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some((namespace, set.names_local(id), id));
        }
        Some(id)
    }
}

/// The cache slot of a name: its first and last four bytes (or all of a shorter one), its
/// length and namespace, mixed by one multiplication.
#[inline]
fn name_slot(namespace: NamespaceId, bytes: &[u8]) -> usize {
    let (head, tail) = match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(h), Some(t)) => (u32::from_le_bytes(*h), u32::from_le_bytes(*t)),
        _ => {
            // Up to three bytes: first, middle and last are all of them.
            let at = |i: usize| u32::from(bytes.get(i).copied().unwrap_or(0));
            let n = bytes.len();
            (at(0) | at(n / 2) << 8 | at(n.wrapping_sub(1)) << 16, 0)
        }
    };
    let mixed = head ^ tail.rotate_left(11) ^ (bytes.len() as u32) << 24 ^ namespace.0 << 5;
    (mixed.wrapping_mul(0x9E37_79B1) >> 22) as usize % NAME_CACHE_SLOTS
}

struct PendingIdRef {
    value: Box<str>,
    position: Position,
    element_path: String,
}

/// Prefix resolution in the reader's current scope, for QName values.
struct ReaderScope<'r, 'i>(&'r Reader<'i>);

impl NamespaceContext for ReaderScope<'_, '_> {
    fn resolve(&self, prefix: &str) -> Option<&str> {
        self.0.resolve_prefix(prefix)
    }
}

fn quote(s: &str) -> &str {
    match s.char_indices().nth(QUOTE_CHARS) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Whether character data of a text event is all whitespace. Text events hold XML characters
/// only (the reader refuses the other C0 controls, literal or referenced), so a byte up to
/// 0x20 is a space, tab, LF or CR; indentation is tested eight bytes at a time.
fn is_xml_whitespace(s: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut bytes = s.as_bytes();
    while let Some((word, rest)) = bytes.split_first_chunk::<8>() {
        let w = u64::from_le_bytes(*word);
        // A byte above 0x20 but below 0x80 sets its high bit when 0x5F is added (no carry
        // leaves it); a byte from 0x80 has it set already.
        if (w.wrapping_add(0x5F * ONES) | w) & (0x80 * ONES) != 0 {
            return false;
        }
        bytes = rest;
    }
    bytes.iter().all(|&b| b <= b' ')
}

impl<'s, 'k> Run<'s, 'k> {
    fn new(set: &'s SchemaSet, sink: &'k mut dyn Sink, options: &ValidationOptions) -> Self {
        Run {
            set,
            want_values: sink.wants_values(),
            want_events: sink.wants_events(),
            sink,
            max_violations: options.max_violations,
            violations: Vec::new(),
            truncated: false,
            frames: Vec::with_capacity(32),
            skip_depth: 0,
            text: String::new(),
            seen_uses: Vec::new(),
            attribute_declarations: Vec::new(),
            ids: HashSet::new(),
            idrefs: Vec::new(),
            full_id_checks: options.full_id_checks,
            namespace_cache: Vec::new(),
            input: std::ptr::null()..std::ptr::null(),
            last_namespace: ((std::ptr::null(), 0), NamespaceId::ABSENT),
            names: NameCache::default(),
            tracker: IdentityTracker::new(&set.identity),
            identity_out: Vec::new(),
        }
    }

    /// Validates the events of one window of the reader (for a slice, all of them): `Ok(true)`
    /// after the last ([`Step::Eof`]), `Ok(false)` when the window ends before the next. The
    /// one event loop for slices and streams, so that the per-event work is compiled once,
    /// inlined here.
    fn window(&mut self, reader: &mut Reader<'_>) -> Result<bool, XmlError> {
        // Namespace names are recognized by address only where the bytes stay put: the whole
        // input of a slice, the arena of a stream's window (reused by the next window, hence
        // the reset).
        self.input = reader.stable_bytes().as_ptr_range();
        self.last_namespace = ((std::ptr::null(), 0), NamespaceId::ABSENT);
        reader.fused_steps();
        loop {
            // The step itself, not an `Event` rebuilt from it and matched again.
            match reader.advance_in_window()? {
                Step::Start { empty } => {
                    self.start(reader, &reader.started(empty));
                    reader.set_blank_text_unwanted(self.blank_text_unwanted());
                }
                Step::End => self.end(reader, reader.ended()),
                Step::Text(source) => self.text(reader, reader.text_of(source)),
                Step::TextEnd(source) => {
                    self.text(reader, reader.text_of(source));
                    reader.move_to_fused_end();
                    self.end(reader, reader.ended());
                }
                Step::Eof => {
                    self.finish();
                    return Ok(true);
                }
                Step::NeedMore => return Ok(false),
            }
        }
    }

    /// Whether [`text`](Self::text) would do nothing with whitespace-only character data in
    /// the element just started, so that the reader need not report it: no sink to pass it
    /// to, and content that is skipped or element-only (where whitespace is allowed and not
    /// kept), unless nilled (where any character is an error) or collecting its text. Must
    /// follow `text`: whatever makes it use such text must make this `false`.
    #[inline]
    fn blank_text_unwanted(&self) -> bool {
        if self.want_events {
            return false;
        }
        if self.skip_depth > 0 {
            return true;
        }
        self.frames.last().is_some_and(|frame| match frame.content {
            ContentKind::Skip => true,
            ContentKind::ElementOnly => !frame.nil && !frame.collect_text,
            ContentKind::Simple | ContentKind::Mixed | ContentKind::Empty => false,
        })
    }

    /// The outcome for a document the reader refused with `e`.
    fn refused(self, e: &XmlError) -> Outcome {
        let mut outcome = self.outcome(false);
        // The XML error is always reported, even past the cap: it ends validation.
        outcome.violations.push(Violation {
            rule: e.rule(),
            line: e.position.line,
            column: e.position.column,
            element_path: e.element_path.clone(),
            message: e.kind.to_string(),
        });
        outcome
    }

    fn outcome(self, well_formed: bool) -> Outcome {
        Outcome {
            well_formed,
            violations: self.violations,
            truncated: self.truncated,
        }
    }
}

impl<'s> Run<'s, '_> {
    fn report(
        &mut self,
        reader: &Reader<'_>,
        position: Option<Position>,
        rule: &'static str,
        message: String,
    ) {
        if self.violations.len() >= self.max_violations {
            self.truncated = true;
            return;
        }
        // Computing a position costs a line-index lookup: only for violations.
        let position = position.unwrap_or_else(|| reader.position());
        self.violations.push(Violation {
            rule,
            line: position.line,
            column: position.column,
            element_path: reader.element_path(),
            message,
        });
    }

    #[inline(always)]
    fn namespace_id(&mut self, uri: Option<&str>) -> NamespaceId {
        let Some(uri) = uri else {
            return NamespaceId::ABSENT;
        };
        // Most names resolve through the same few declarations, whose URIs borrow from the
        // input: the same address and length is the same string (the input does not change
        // during the run); URIs the reader had to rewrite live elsewhere and are compared.
        if self.last_namespace.0 == (uri.as_ptr(), uri.len()) && self.input.contains(&uri.as_ptr())
        {
            return self.last_namespace.1;
        }
        self.namespace_id_slow(uri)
    }

    /// [`namespace_id`](Self::namespace_id) for a URI other than the last one (out of line:
    /// the inline part is a comparison).
    #[inline(never)]
    fn namespace_id_slow(&mut self, uri: &str) -> NamespaceId {
        let borrowed = self.input.contains(&uri.as_ptr());
        let id = match self.namespace_cache.iter().find(|(u, _)| **u == *uri) {
            Some((_, id)) => *id,
            None => {
                let id = self.set.namespace_id(Some(uri));
                if self.namespace_cache.len() < NAMESPACE_CACHE {
                    self.namespace_cache.push((uri.into(), id));
                }
                id
            }
        };
        if borrowed {
            self.last_namespace = ((uri.as_ptr(), uri.len()), id);
        }
        id
    }

    fn content_kind(rule: &'s TypeRule) -> (ContentKind, Option<&'s Automaton<Leaf>>) {
        match &rule.body {
            TypeBody::Simple(_) => (ContentKind::Simple, None),
            TypeBody::Complex(c) => match &c.content {
                Content::Empty => (ContentKind::Empty, None),
                Content::Simple(_) => (ContentKind::Simple, None),
                Content::Elements {
                    mixed: false,
                    automaton,
                } => (ContentKind::ElementOnly, Some(automaton)),
                Content::Elements {
                    mixed: true,
                    automaton,
                } => (ContentKind::Mixed, Some(automaton)),
            },
        }
    }

    // ---- start tags -------------------------------------------------------------------------

    fn start(&mut self, reader: &Reader<'_>, tag: &StartTag<'_>) {
        if self.skip_depth > 0 {
            self.skip_depth += 1;
            if self.tracker.is_active() {
                let source = TagAttributes {
                    attributes: tag.attributes(),
                    declarations: &[],
                    defaults: DefaultedAttributes::none(self.set),
                    reader,
                };
                let name = tag.name();
                self.tracker.start_element(
                    name.namespace,
                    name.local,
                    &[],
                    &source,
                    &mut self.identity_out,
                );
                self.flush_identity(reader);
            }
            return;
        }
        let name = tag.name();
        let namespace = self.namespace_id(name.namespace);
        let name_id = if namespace == FOREIGN_NAMESPACE {
            None
        } else {
            self.names.name_id(self.set, namespace, name.local)
        };
        let governor = self.child_governor(reader, name, name_id, namespace, tag);
        let mut frame = Frame {
            element: None,
            type_index: TypeIndex::ANY_TYPE,
            content: ContentKind::Skip,
            automaton: None,
            state: MatchState::default(),
            nil: false,
            content_failed: false,
            has_children: false,
            text_start: self.text.len(),
            collect_text: false,
        };
        self.attribute_declarations.clear();
        let governor_assessed = !matches!(governor, Governor::Skip);
        // `frame.state` is already every automaton's start state (`MatchState::default`).
        // Identity constraints: the tracker sees every element (undeclared and skipped ones
        // with no constraints); it does nothing while no constraint scope is open.
        let constraints: &[IdentityConstraintId] = match governor {
            Governor::Skip => &[],
            Governor::Declared(e) => self.element_start(reader, tag, Some(e), &mut frame),
            Governor::Lax => self.element_start(reader, tag, None, &mut frame),
        };
        if !constraints.is_empty() || self.tracker.is_active() {
            self.identity_start(
                reader,
                tag,
                constraints,
                governor_assessed,
                frame.type_index,
            );
        }
        if !self.want_events {
            self.frames.push(frame);
            return;
        }
        let set = self.set;
        let event = ElementEvent {
            name,
            attributes: tag.attributes(),
            attribute_declarations: &self.attribute_declarations,
            declaration: frame.element.map(|e| ElementDeclaration::new(set, e)),
            type_definition: (frame.content != ContentKind::Skip)
                .then(|| TypeDefinition::new(set, frame.type_index)),
            depth: self.frames.len() + 1,
            nil: frame.nil,
        };
        self.sink.start_element(&event);
        self.frames.push(frame);
    }

    /// Tells the identity tracker about a start tag (out of line: most documents have no
    /// constraint scope open at most elements).
    #[inline(never)]
    fn identity_start(
        &mut self,
        reader: &Reader<'_>,
        tag: &StartTag<'_>,
        constraints: &[IdentityConstraintId],
        governor_assessed: bool,
        type_index: TypeIndex,
    ) {
        let name = tag.name();
        // `seen_uses` belongs to this element only when its attributes were assessed.
        let defaults = match (governor_assessed, &self.set.type_rule(type_index).body) {
            (true, TypeBody::Complex(c)) => DefaultedAttributes {
                set: self.set,
                uses: &c.attributes,
                seen: &self.seen_uses,
            },
            _ => DefaultedAttributes::none(self.set),
        };
        let source = TagAttributes {
            attributes: tag.attributes(),
            declarations: &self.attribute_declarations,
            defaults,
            reader,
        };
        self.tracker.start_element(
            name.namespace,
            name.local,
            constraints,
            &source,
            &mut self.identity_out,
        );
        self.flush_identity(reader);
    }

    /// Decides how a child named `name` is validated, stepping the parent's content model.
    fn child_governor(
        &mut self,
        reader: &Reader<'_>,
        name: QName<'_>,
        name_id: Option<crate::compile::NameId>,
        namespace: NamespaceId,
        tag: &StartTag<'_>,
    ) -> Governor {
        let set = self.set;
        // Only needed off the common path (a leaf of the parent's model matched).
        let global = || name_id.and_then(|n| set.global_elements.get(&n).copied());
        let fallback = || match global() {
            Some(e) => Governor::Declared(e),
            None => Governor::Lax,
        };
        let position: Option<Position> = None;
        let Some(parent) = self.frames.last_mut() else {
            // The root must be declared globally (cvc-elt.1).
            let has_xsi_type = || {
                tag.attributes()
                    .iter()
                    .any(|a| a.name.local == "type" && a.name.namespace == Some(XSI_NS))
            };
            return match global() {
                Some(e) => Governor::Declared(e),
                // Without a declaration, an xsi:type still names the type to assess it by.
                None if has_xsi_type() => Governor::Lax,
                None => {
                    let message = format!(
                        "no declaration found for the root element '{}'; expected a top-level element of the schema",
                        display_qname(name)
                    );
                    self.report(reader, position, "cvc-elt.1", message);
                    Governor::Skip
                }
            };
        };
        parent.has_children = true;
        if parent.nil {
            self.report(
                reader,
                position,
                "cvc-elt.3.2.1",
                format!(
                    "element '{}' is not allowed: the parent has xsi:nil=\"true\" and must be empty",
                    display_qname(name)
                ),
            );
            return fallback();
        }
        match parent.content {
            ContentKind::Skip => Governor::Skip,
            ContentKind::Empty => {
                self.report(
                    reader,
                    position,
                    "cvc-complex-type.2.1",
                    format!(
                        "element '{}' is not allowed: the content of the parent must be empty",
                        display_qname(name)
                    ),
                );
                fallback()
            }
            ContentKind::Simple => {
                self.report(
                    reader,
                    position,
                    "cvc-complex-type.2.2",
                    format!(
                        "element '{}' is not allowed: the parent has simple content (text only)",
                        display_qname(name)
                    ),
                );
                fallback()
            }
            ContentKind::ElementOnly | ContentKind::Mixed => {
                if parent.content_failed {
                    return fallback();
                }
                let Some(automaton) = parent.automaton else {
                    return fallback();
                };
                let input = ElementInput {
                    name: name_id,
                    namespace,
                };
                match automaton.step(&mut parent.state, &input) {
                    Ok(leaf) => match automaton.leaf(leaf) {
                        Leaf::Element { .. } => {
                            match name_id.and_then(|n| automaton.leaf(leaf).declaration_for(n)) {
                                Some(e) => Governor::Declared(e),
                                None => fallback(),
                            }
                        }
                        Leaf::Wildcard(w) => match (w.process, global()) {
                            (ProcessContents::Skip, _) => Governor::Skip,
                            (_, Some(e)) => Governor::Declared(e),
                            (ProcessContents::Lax, None) => Governor::Lax,
                            (ProcessContents::Strict, None) => {
                                let has_xsi_type = tag.attributes().iter().any(|a| {
                                    a.name.local == "type" && a.name.namespace == Some(XSI_NS)
                                });
                                if !has_xsi_type {
                                    self.report(
                                        reader,
                                        position,
                                        "cvc-complex-type.2.4.c",
                                        format!(
                                            "the matching wildcard is strict, but no declaration can be found for element '{}'",
                                            display_qname(name)
                                        ),
                                    );
                                }
                                Governor::Lax
                            }
                        },
                    },
                    Err(_) => {
                        parent.content_failed = true;
                        let expected = automaton.expected(&parent.state);
                        let (rule, message) = if expected.is_empty() {
                            (
                                "cvc-complex-type.2.4.d",
                                format!(
                                    "element '{}' not expected; no child element is allowed here",
                                    display_qname(name)
                                ),
                            )
                        } else {
                            let list = expected
                                .iter()
                                .map(|&l| describe_leaf(set, automaton.leaf(l), namespace))
                                .collect::<Vec<_>>()
                                .join(", ");
                            (
                                "cvc-complex-type.2.4.a",
                                format!(
                                    "element '{}' not expected; expected {}{list}",
                                    display_qname(name),
                                    if expected.len() == 1 { "" } else { "one of: " }
                                ),
                            )
                        };
                        self.report(reader, position, rule, message);
                        fallback()
                    }
                }
            }
        }
    }

    /// Resolves the governing type (xsi:type), xsi:nil and the attributes of an element
    /// that is validated (declared or lax), filling `frame`; returns the identity
    /// constraints declared on the element.
    fn element_start(
        &mut self,
        reader: &Reader<'_>,
        tag: &StartTag<'_>,
        element: Option<ElementIndex>,
        frame: &mut Frame<'s>,
    ) -> &'s [IdentityConstraintId] {
        let set = self.set;
        let position: Option<Position> = None;
        let name = tag.name();
        let decl = element.map(|e| set.element_rule(e));
        let mut type_index = decl.map_or(TypeIndex::ANY_TYPE, |d| d.type_index);
        frame.element = element;
        if let Some(d) = decl {
            if d.is_abstract {
                self.report(
                    reader,
                    position,
                    "cvc-elt.2",
                    format!(
                        "element '{}' is abstract; use a member of its substitution group",
                        display_qname(name)
                    ),
                );
            }
        }
        let mut xsi_type: Option<&Attribute<'_>> = None;
        let mut xsi_nil: Option<&Attribute<'_>> = None;
        for a in tag.attributes() {
            if a.name.namespace == Some(XSI_NS) {
                match a.name.local {
                    "type" => xsi_type = Some(a),
                    "nil" => xsi_nil = Some(a),
                    _ => {}
                }
            }
        }
        if let Some(a) = xsi_type {
            if let Some(t) = self.resolve_xsi_type(reader, a, decl.map(|d| (d.type_index, d.block)))
            {
                type_index = t;
            }
        }
        let rule = set.type_rule(type_index);
        if rule.is_abstract {
            let message = format!(
                "the type of element '{}' is abstract; use xsi:type with a concrete derived type",
                display_qname(name)
            );
            self.report(reader, position, "cvc-type.2", message);
        }
        if let Some(a) = xsi_nil {
            let v = normalize_whitespace(&a.value, WhiteSpace::Collapse);
            let nil = match &*v {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            };
            match (nil, decl) {
                (None, _) => {
                    let message = format!(
                        "value '{}' of attribute 'xsi:nil' is not a valid xs:boolean",
                        quote(&a.value)
                    );
                    self.report(
                        reader,
                        Some(reader.attribute_position(a)),
                        "cvc-datatype-valid.1.2.1",
                        message,
                    );
                }
                (Some(_), Some(d)) if !d.nillable => {
                    let message = format!(
                        "element '{}' is not nillable; xsi:nil is not allowed",
                        display_qname(name)
                    );
                    self.report(
                        reader,
                        Some(reader.attribute_position(a)),
                        "cvc-elt.3.1",
                        message,
                    );
                }
                (Some(true), Some(d)) => {
                    frame.nil = true;
                    if d.value.as_ref().is_some_and(|v| v.fixed) {
                        let message = format!(
                            "element '{}' has a fixed value and cannot be nil",
                            display_qname(name)
                        );
                        self.report(
                            reader,
                            Some(reader.attribute_position(a)),
                            "cvc-elt.3.2.2",
                            message,
                        );
                    }
                }
                (Some(nil), None) => frame.nil = nil,
                (Some(false), Some(_)) => {}
            }
        }
        frame.type_index = type_index;
        (frame.content, frame.automaton) = Self::content_kind(rule);
        frame.collect_text = match frame.content {
            ContentKind::Simple => true,
            ContentKind::Mixed => decl.is_some_and(|d| d.value.is_some()),
            _ => false,
        };
        // A tag without attributes, of a type without attribute uses, has nothing to check
        // (no required or defaulted attribute).
        let no_uses = match &rule.body {
            TypeBody::Simple(_) => true,
            TypeBody::Complex(c) => c.attributes.is_empty(),
        };
        if !(no_uses && tag.attributes().is_empty()) {
            self.attributes(reader, tag, rule);
        }
        decl.map_or(&[], |d| &d.identity_constraints)
    }

    /// cvc-elt.4: the xsi:type QName must name a type validly derived from the declared one.
    fn resolve_xsi_type(
        &mut self,
        reader: &Reader<'_>,
        a: &Attribute<'_>,
        declared: Option<(TypeIndex, DerivationSet)>,
    ) -> Option<TypeIndex> {
        let set = self.set;
        let v = normalize_whitespace(&a.value, WhiteSpace::Collapse);
        let (prefix, local) = match v.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", &*v),
        };
        let valid_qname = !local.is_empty()
            && !local.contains(':')
            && crate::datatypes::SimpleType::builtin(crate::datatypes::Builtin::NcName)
                .validate(local, &crate::datatypes::NoNamespaces)
                .is_ok();
        let ns = if valid_qname {
            match reader.resolve_prefix(prefix) {
                Some(ns) => Some(Some(ns)),
                None if prefix.is_empty() => Some(None),
                None => None,
            }
        } else {
            None
        };
        let Some(ns) = ns else {
            let message = format!(
                "value '{}' of xsi:type is not a valid QName (or its prefix is not declared)",
                quote(&a.value)
            );
            self.report(
                reader,
                Some(reader.attribute_position(a)),
                "cvc-elt.4.1",
                message,
            );
            return None;
        };
        let found = set
            .namespaces
            .get(ns)
            .and_then(|n| set.name_id(n, local))
            .and_then(|n| set.global_types.get(&n).copied());
        let Some(t) = found else {
            let message = format!(
                "xsi:type '{}' does not name a type definition of the schema",
                quote(&v)
            );
            self.report(
                reader,
                Some(reader.attribute_position(a)),
                "cvc-elt.4.2",
                message,
            );
            return None;
        };
        if let Some((declared, block)) = declared {
            let blocked = DerivationSet::from_bits(
                block.bits()
                    & (DerivationSet::EXTENSION.bits() | DerivationSet::RESTRICTION.bits()),
            );
            if !set.xsi_type_derives_from(t, declared, blocked) {
                let message = format!(
                    "xsi:type '{}' is not validly derived from the declared type of the element (or the derivation is blocked)",
                    quote(&v)
                );
                self.report(
                    reader,
                    Some(reader.attribute_position(a)),
                    "cvc-elt.4.3",
                    message,
                );
                return None;
            }
        }
        Some(t)
    }

    fn attributes(&mut self, reader: &Reader<'_>, tag: &StartTag<'_>, rule: &'s TypeRule) {
        let set = self.set;
        let element_name = tag.name();
        let complex = match &rule.body {
            TypeBody::Complex(c) => Some(c),
            TypeBody::Simple(_) => None,
        };
        self.seen_uses.clear();
        if let Some(c) = complex {
            self.seen_uses.resize(c.attributes.len(), false);
        }
        for a in tag.attributes() {
            let namespace = self.namespace_id(a.name.namespace);
            let mut declaration = None;
            if namespace == set.xsi_namespace
                && matches!(
                    a.name.local,
                    "type" | "nil" | "schemaLocation" | "noNamespaceSchemaLocation"
                )
            {
                // Handled by element_start, or hints that are ignored.
                self.attribute_declarations.push(None);
                continue;
            }
            let name_id = if namespace == FOREIGN_NAMESPACE {
                None
            } else {
                self.names.name_id(set, namespace, a.name.local)
            };
            let found_use = match (complex, name_id) {
                (Some(c), Some(n)) => c.attribute_use(n),
                _ => None,
            };
            if let Some((i, u)) = found_use {
                if let Some(s) = self.seen_uses.get_mut(i) {
                    *s = true;
                }
                self.attribute_value(reader, a, u.attribute, u.value.as_ref(), element_name);
                declaration = Some(AttributeDeclaration::new(set, u.attribute));
            } else {
                let wildcard = complex
                    .and_then(|c| c.wildcard.as_ref())
                    .filter(|w| w.namespaces.allows(namespace));
                let global = name_id.and_then(|n| set.global_attributes.get(&n).copied());
                match (wildcard, global) {
                    (None, _) => {
                        let message = format!(
                            "attribute '{}' is not allowed on element '{}'",
                            a.name,
                            display_qname(element_name)
                        );
                        let rule = if complex.is_some() {
                            "cvc-complex-type.3.2.2"
                        } else {
                            "cvc-type.3.1.1"
                        };
                        self.report(reader, Some(reader.attribute_position(a)), rule, message);
                    }
                    (Some(w), _) if w.process == ProcessContents::Skip => {}
                    (Some(_), Some(g)) => {
                        let value = set.attribute_rule(g).value.clone();
                        self.attribute_value(reader, a, g, value.as_ref(), element_name);
                        declaration = Some(AttributeDeclaration::new(set, g));
                    }
                    (Some(w), None) => {
                        if w.process == ProcessContents::Strict {
                            let message = format!(
                                "the matching attribute wildcard is strict, but no declaration can be found for attribute '{}'",
                                a.name
                            );
                            self.report(
                                reader,
                                Some(reader.attribute_position(a)),
                                "cvc-complex-type.3.2.2",
                                message,
                            );
                        }
                    }
                }
            }
            self.attribute_declarations.push(declaration);
        }
        if let Some(c) = complex {
            for (i, u) in c.attributes.iter().enumerate() {
                let seen = self.seen_uses.get(i).copied().unwrap_or(true);
                if let (false, Some(value)) = (seen, &u.value) {
                    // An attribute added by a default or fixed value is an ID or IDREF like
                    // one in the tag (XSD 1.0 3.3.4, validation root's ID/IDREF table).
                    if let Some(simple) = set
                        .type_rule(set.attribute_rule(u.attribute).type_index)
                        .simple_rule()
                        .filter(|simple| simple.id != IdKind::None)
                    {
                        self.ids(reader, simple, &value.lexical, None);
                    }
                }
                if u.required && !seen {
                    let message = format!(
                        "attribute '{}' is required on element '{}'",
                        set.display_name(u.name),
                        display_qname(element_name)
                    );
                    let position: Option<Position> = None;
                    self.report(reader, position, "cvc-complex-type.4", message);
                }
            }
        }
    }

    fn attribute_value(
        &mut self,
        reader: &Reader<'_>,
        a: &Attribute<'_>,
        attribute: AttributeIndex,
        value_rule: Option<&ValueRule>,
        element_name: QName<'_>,
    ) {
        let set = self.set;
        let Some(simple) = set
            .type_rule(set.attribute_rule(attribute).type_index)
            .simple_rule()
        else {
            return;
        };
        let fixed = value_rule.filter(|v| v.fixed);
        let scope = ReaderScope(reader);
        let result = match fixed {
            Some(f) => {
                fixed_matches(simple, &a.value, f, &scope, true).map(|ok| (!ok).then_some(f))
            }
            None => simple.simple.validate(&a.value, &scope).map(|()| None),
        };
        match result {
            Ok(None) if simple.id != IdKind::None => self.ids(reader, simple, &a.value, Some(a)),
            Ok(None) => {}
            Ok(Some(f)) => {
                let message = format!(
                    "attribute '{}' must have the fixed value '{}', found '{}'",
                    a.name,
                    quote(&f.lexical),
                    quote(&a.value)
                );
                self.report(
                    reader,
                    Some(reader.attribute_position(a)),
                    "cvc-attribute.4",
                    message,
                );
            }
            Err(e) => {
                let message = format!(
                    "value '{}' of attribute '{}' on element '{}' is not valid: {}",
                    quote(&a.value),
                    a.name,
                    display_qname(element_name),
                    e.message
                );
                self.report(reader, Some(reader.attribute_position(a)), e.rule, message);
            }
        }
    }

    /// cvc-id: records IDs (duplicates are errors) and IDREFs (checked at the end).
    fn ids(
        &mut self,
        reader: &Reader<'_>,
        simple: &SimpleRule,
        value: &str,
        attribute: Option<&Attribute<'_>>,
    ) {
        // Positions cost a line count: only computed for what is reported or kept.
        let position = || match attribute {
            Some(a) => reader.attribute_position(a),
            None => reader.position(),
        };
        match simple.id {
            IdKind::None => {}
            IdKind::Id => {
                let v = normalize_whitespace(value, WhiteSpace::Collapse);
                if self.ids.contains(&*v) {
                    let message = format!("ID '{}' is not unique in the document", quote(&v));
                    self.report(reader, Some(position()), "cvc-id.2", message);
                } else {
                    self.ids.insert(v.into());
                }
            }
            IdKind::IdRef | IdKind::IdRefs if self.full_id_checks => {
                for token in value.split([' ', '\t', '\n', '\r']) {
                    if !token.is_empty() {
                        self.idrefs.push(PendingIdRef {
                            value: token.into(),
                            position: position(),
                            element_path: reader.element_path(),
                        });
                    }
                }
            }
            IdKind::IdRef | IdKind::IdRefs => {}
        }
    }

    // ---- text -------------------------------------------------------------------------------

    fn text(&mut self, reader: &Reader<'_>, text: &str) {
        if self.skip_depth > 0 {
            return;
        }
        let Some(frame) = self.frames.last() else {
            return;
        };
        if frame.content == ContentKind::Skip {
            return;
        }
        if self.want_events {
            self.sink.text(text);
        }
        let (content, nil, collect) = (frame.content, frame.nil, frame.collect_text);
        if collect {
            self.text.push_str(text);
        }
        // Empty content and nilled elements allow no character children at all, not even
        // whitespace (cvc-complex-type.2.1, cvc-elt.3.2.1); element-only content allows
        // whitespace; simple and mixed content allow any (checked at the end tag).
        let allowed = match content {
            ContentKind::Simple | ContentKind::Mixed | ContentKind::Skip => true,
            ContentKind::ElementOnly => is_xml_whitespace(text),
            ContentKind::Empty => false,
        };
        if allowed && !nil {
            return;
        }
        let position: Option<Position> = None;
        if nil {
            self.report(
                reader,
                position,
                "cvc-elt.3.2.1",
                "character data is not allowed: the element has xsi:nil=\"true\"".into(),
            );
            return;
        }
        match content {
            ContentKind::Empty => self.report(
                reader,
                position,
                "cvc-complex-type.2.1",
                format!(
                    "character data '{}' is not allowed: the content must be empty",
                    quote(text.trim())
                ),
            ),
            ContentKind::ElementOnly => self.report(
                reader,
                position,
                "cvc-complex-type.2.3",
                format!(
                    "character data '{}' is not allowed: the content is element-only",
                    quote(text.trim())
                ),
            ),
            _ => {}
        }
    }

    // ---- end tags ---------------------------------------------------------------------------

    fn end(&mut self, reader: &Reader<'_>, name: QName<'_>) {
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
            if self.tracker.is_active() {
                self.tracker
                    .end_element(ElementValue::NotSimple, &mut self.identity_out);
                self.flush_identity(reader);
            }
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let depth = self.frames.len() + 1;
        let identity = self.tracker.is_active();
        let want = self.want_values || (identity && self.tracker.wants_element_value());
        let mut value: Option<Value> = None;
        if frame.content != ContentKind::Skip && !frame.nil {
            // Moved out (not copied) so the checks can borrow it while reporting.
            let text = std::mem::take(&mut self.text);
            value = self.check_content(
                reader,
                name,
                &frame,
                text.get(frame.text_start..).unwrap_or(""),
                want,
            );
            self.text = text;
        }
        if identity {
            let element_value = match (&value, frame.content) {
                _ if frame.nil => ElementValue::Nilled,
                (Some(v), ContentKind::Simple) => ElementValue::Simple(v),
                (None, ContentKind::Simple) => ElementValue::Unavailable,
                _ => ElementValue::NotSimple,
            };
            self.tracker
                .end_element(element_value, &mut self.identity_out);
            self.flush_identity(reader);
        }
        // Most elements collected nothing: no boundary check.
        if self.text.len() > frame.text_start {
            self.text.truncate(frame.text_start);
        }
        if !self.want_events {
            return;
        }
        let event = EndEvent {
            name,
            value: value.as_ref(),
            depth,
        };
        self.sink.end_element(&event);
    }

    /// Checks an element's content at its end tag; returns the typed value of simple content
    /// when the sink wants values.
    fn check_content(
        &mut self,
        reader: &Reader<'_>,
        name: QName<'_>,
        frame: &Frame<'s>,
        text: &str,
        want: bool,
    ) -> Option<Value> {
        let set = self.set;
        let decl = frame.element.map(|e| set.element_rule(e));
        let position: Option<Position> = None;
        match frame.content {
            ContentKind::ElementOnly | ContentKind::Mixed => {
                if let Some(automaton) = frame.automaton {
                    if !frame.content_failed && !automaton.can_finish(&frame.state) {
                        let expected = automaton.expected(&frame.state);
                        let namespace = set.namespace_id(name.namespace);
                        let list = expected
                            .iter()
                            .map(|&l| describe_leaf(set, automaton.leaf(l), namespace))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let message = format!(
                            "content of element '{}' is not complete; expected {}{list}",
                            display_qname(name),
                            if expected.len() == 1 { "" } else { "one of: " }
                        );
                        self.report(reader, position, "cvc-complex-type.2.4.b", message);
                    }
                }
                // A fixed value of mixed content compares as a string (cvc-elt.5.2.2.2.1).
                if let Some(fixed) = decl.and_then(|d| d.value.as_ref()).filter(|v| v.fixed) {
                    if frame.has_children {
                        let message = format!(
                            "element '{}' has a fixed value and must not have element children",
                            display_qname(name)
                        );
                        self.report(reader, position, "cvc-elt.5.2.2.1", message);
                    } else {
                        if !text.is_empty() && text != &*fixed.lexical {
                            let message = format!(
                                "element '{}' must have the fixed value '{}', found '{}'",
                                display_qname(name),
                                quote(&fixed.lexical),
                                quote(text)
                            );
                            self.report(reader, position, "cvc-elt.5.2.2.2.1", message);
                        }
                    }
                }
                None
            }
            ContentKind::Simple => {
                let simple = set.type_rule(frame.type_index).simple_rule()?;
                let value_rule = decl.and_then(|d| d.value.as_ref());
                if text.is_empty() && !frame.has_children {
                    if let Some(v) = value_rule {
                        // The default (or fixed) value applies to an empty element; with
                        // xsi:type it must also be valid for that type (cvc-elt.5.1.1).
                        let declared = decl.map(|d| d.type_index);
                        if declared != Some(frame.type_index) {
                            let scope = ReaderScope(reader);
                            if let Err(e) = simple.simple.validate(&v.lexical, &scope) {
                                let message = format!(
                                    "the {} value '{}' of element '{}' is not valid for its xsi:type: {}",
                                    if v.fixed { "fixed" } else { "default" },
                                    quote(&v.lexical),
                                    display_qname(name),
                                    e.message
                                );
                                self.report(reader, position, "cvc-elt.5.1.1", message);
                                return None;
                            }
                        }
                        return if want { v.value.clone() } else { None };
                    }
                }
                if frame.has_children {
                    // Already reported as cvc-complex-type.2.2; the text alone is not the value.
                    return None;
                }
                let fixed = value_rule.filter(|v| v.fixed);
                let scope = ReaderScope(reader);
                // (typed value when wanted, whether a fixed value is matched)
                let result: Result<(Option<Value>, bool), ValueError> = if want {
                    simple.simple.parse(text, &scope).map(|v| {
                        let ok = fixed.is_none_or(|f| f.value.as_ref().is_none_or(|fv| *fv == v));
                        (Some(v), ok)
                    })
                } else if let Some(f) = fixed {
                    let declared_type = decl.is_some_and(|d| d.type_index == frame.type_index);
                    fixed_matches(simple, text, f, &scope, declared_type).map(|ok| (None, ok))
                } else {
                    simple.simple.validate(text, &scope).map(|()| (None, true))
                };
                match result {
                    Ok((v, fixed_ok)) => {
                        if let (Some(f), false) = (fixed, fixed_ok) {
                            let message = format!(
                                "element '{}' must have the fixed value '{}', found '{}'",
                                display_qname(name),
                                quote(&f.lexical),
                                quote(text)
                            );
                            self.report(reader, position, "cvc-elt.5.2.2.2.2", message);
                        }
                        // Element content counts for cvc-id only when asked (libxml2
                        // tracks ID attributes only).
                        if simple.id != IdKind::None && self.full_id_checks {
                            self.ids(reader, simple, text, None);
                        }
                        if want {
                            v
                        } else {
                            None
                        }
                    }
                    Err(e) => {
                        let message = format!(
                            "value '{}' of element '{}' is not valid: {}",
                            quote(text),
                            display_qname(name),
                            e.message
                        );
                        self.report(reader, position, e.rule, message);
                        None
                    }
                }
            }
            ContentKind::Empty | ContentKind::Skip => None,
        }
    }

    /// Moves the identity tracker's violations into the outcome, at the current event.
    fn flush_identity(&mut self, reader: &Reader<'_>) {
        if self.identity_out.is_empty() {
            return;
        }
        let found = std::mem::take(&mut self.identity_out);
        for v in &found {
            self.report(reader, None, v.rule, v.message.clone());
        }
        self.identity_out = found;
        self.identity_out.clear();
    }

    fn finish(&mut self) {
        let pending = std::mem::take(&mut self.idrefs);
        for r in pending {
            if !self.ids.contains(&r.value) {
                if self.violations.len() >= self.max_violations {
                    self.truncated = true;
                    continue;
                }
                self.violations.push(Violation {
                    rule: "cvc-id.1",
                    line: r.position.line,
                    column: r.position.column,
                    element_path: r.element_path,
                    message: format!(
                        "IDREF '{}' does not match any ID in the document",
                        quote(&r.value)
                    ),
                });
            }
        }
    }
}

/// Whether `text` is valid and equal to the fixed value `f`; compares normalized literals
/// first, so that the common case (the literal as written in the schema) builds no value.
fn fixed_matches(
    simple: &SimpleRule,
    text: &str,
    f: &ValueRule,
    scope: &dyn NamespaceContext,
    declared_type: bool,
) -> Result<bool, ValueError> {
    if declared_type && text == &*f.lexical && f.value.is_some() && is_context_free(simple) {
        // The literal itself was parsed into `f.value` when the schema was compiled, for
        // the declared type (`declared_type`: not replaced by xsi:type): valid, and equal. (XÖV code lists put fixed listURI and
        // listVersionID values on nearly every code element.)
        return Ok(true);
    }
    let ws = simple.simple.whitespace();
    if normalize_whitespace(text, ws) == normalize_whitespace(&f.lexical, ws) {
        return simple.simple.validate(text, scope).map(|()| true);
    }
    let v = simple.simple.parse(text, scope)?;
    Ok(f.value.as_ref().is_none_or(|fv| *fv == v))
}

/// Whether validity of a literal does not depend on the instance (QName and NOTATION values
/// need the prefixes in scope; lists and unions are not looked into).
fn is_context_free(simple: &SimpleRule) -> bool {
    simple
        .simple
        .primitive()
        .is_some_and(|p| !matches!(p, Builtin::QName | Builtin::Notation))
}

/// The attributes of a start tag for the identity tracker: those in the tag, then those a
/// default or fixed value of the element's type adds (they are in the infoset that fields
/// select from); values typed by their declarations on request.
struct TagAttributes<'a, 'r, 'i> {
    attributes: &'a [Attribute<'a>],
    declarations: &'a [Option<AttributeDeclaration<'a>>],
    defaults: DefaultedAttributes<'a>,
    reader: &'r Reader<'i>,
}

/// The attribute uses of an element's type that the tag lacks but that have a value
/// constraint. Found by a scan per request: the tracker asks only while a field may select
/// an attribute of this element, and types have few uses.
#[derive(Clone, Copy)]
struct DefaultedAttributes<'a> {
    set: &'a SchemaSet,
    uses: &'a [AttributeUseRule],
    /// Which uses the tag has, indexed like `uses`.
    seen: &'a [bool],
}

impl<'a> DefaultedAttributes<'a> {
    fn none(set: &'a SchemaSet) -> Self {
        DefaultedAttributes {
            set,
            uses: &[],
            seen: &[],
        }
    }

    fn iter(&self) -> impl Iterator<Item = &'a AttributeUseRule> + 'a {
        let seen = self.seen;
        self.uses
            .iter()
            .enumerate()
            .filter(move |(i, u)| u.value.is_some() && !seen.get(*i).copied().unwrap_or(true))
            .map(|(_, u)| u)
    }
}

impl AttributeSource for TagAttributes<'_, '_, '_> {
    fn attribute_count(&self) -> usize {
        self.attributes.len() + self.defaults.iter().count()
    }

    fn attribute_name(&self, index: usize) -> Option<(Option<&str>, &str)> {
        match self.attributes.get(index) {
            Some(a) => Some((a.name.namespace, a.name.local)),
            None => {
                let set = self.defaults.set;
                let u = self.defaults.iter().nth(index - self.attributes.len())?;
                let namespace = set.namespaces.uri(set.names.namespace(u.name));
                Some((namespace, set.names_local(u.name)))
            }
        }
    }

    fn attribute_value(&self, index: usize) -> AttributeValue {
        let Some(a) = self.attributes.get(index) else {
            let defaulted = index
                .checked_sub(self.attributes.len())
                .and_then(|k| self.defaults.iter().nth(k))
                .and_then(|u| u.value.as_ref());
            return match defaulted {
                Some(ValueRule {
                    value: Some(value), ..
                }) => AttributeValue::Typed(value.clone()),
                Some(_) => AttributeValue::Untyped,
                None => AttributeValue::Invalid,
            };
        };
        let Some(simple) = self
            .declarations
            .get(index)
            .copied()
            .flatten()
            .and_then(|d| d.simple_type())
        else {
            return AttributeValue::Untyped;
        };
        match simple.parse(&a.value, &ReaderScope(self.reader)) {
            Ok(v) => AttributeValue::Typed(v),
            Err(_) => AttributeValue::Invalid,
        }
    }
}

fn display_qname(name: QName<'_>) -> String {
    name.to_string()
}

/// A leaf for "expected ..." lists: the local name, with `{namespace}` when it differs from
/// the namespace of the element found.
fn describe_leaf(set: &SchemaSet, leaf: &Leaf, found_namespace: NamespaceId) -> String {
    match leaf {
        Leaf::Element { head, .. } => {
            if head.namespace == found_namespace || head.namespace == NamespaceId::ABSENT {
                set.names_local(head.name).to_string()
            } else {
                set.display_name(head.name)
            }
        }
        Leaf::Wildcard(w) => match &w.namespaces {
            NamespaceSet::Any => "any element".into(),
            NamespaceSet::Not(n) => match set.namespaces.uri(*n) {
                Some(uri) => format!("any element not in namespace '{uri}'"),
                None => "any namespace-qualified element".into(),
            },
            NamespaceSet::Set(s) => {
                let list = s
                    .iter()
                    .map(|n| set.namespaces.uri(*n).unwrap_or("(no namespace)"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("any element from {list}")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_test_agrees_with_a_byte_loop() {
        let cases = [
            "",
            " ",
            "\n",
            "\n    ",
            "\n                ",
            "\t\r\n ",
            "        x",
            "x",
            "\n  a  ",
            "                \u{e9}",
            "       \u{a0}",
            "  !",
            "\n\n\n\n\n\n\n\n\n",
            "\n ",
            "\n  ",
            "\n   ",
            "\n  x",
            "x   ",
            "\n   \t ",
            "\n  !  ",
            "      \u{e9}",
            "\n           x",
            "\n        x  ",
        ];
        for s in cases {
            let expected = s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
            assert_eq!(is_xml_whitespace(s), expected, "{s:?}");
        }
    }

    #[test]
    fn names_compare_by_bytes() {
        let names = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abce",
            "abcdefg",
            "abcdefgh",
            "abcdefgi",
            "identifikation.nachricht",
            "identifikation.nachrichT",
            "Identifikation.nachricht",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
            }
            assert!(name_slot(NamespaceId::ABSENT, a.as_bytes()) < NAME_CACHE_SLOTS);
        }
    }
}
