//! Streaming XML event reader that checks well-formedness (XML 1.0 fifth edition) and
//! namespace well-formedness (Namespaces in XML 1.0) as it goes.
//!
//! The tokenizer (`scan`) finds where markup begins and ends; everything inside is checked
//! here: one root element, matching end tags, names, attribute syntax and
//! uniqueness (by qualified and by expanded name), declared prefixes and the `xml`/`xmlns`
//! rules, legal characters, `]]>` in text, references, the XML declaration.
//!
//! **Security invariant:** there is no DTD processing. Any `<!DOCTYPE` is refused with
//! [`XmlErrorKind::DoctypeNotAllowed`]; only the five predefined entities and character
//! references are expanded.
//!
//! **Memory invariant:** state grows with nesting depth only (open elements, their namespace
//! bindings and per-parent sibling counts); buffers for normalized text and attribute values are
//! reused and bounded by [`Limits::max_text_bytes`]. Events borrow from the input when nothing
//! needs rewriting, otherwise from the reader's buffers: no allocation per event.
//!
//! **Input:** a complete document in memory ([`Reader::from_slice`]) or any [`std::io::Read`]
//! ([`EventStream`]). Both run the same code over a window of the document: for a slice the
//! window is the whole input; a stream reads into a bounded buffer and the reader stops at a
//! token the window does not hold completely (`Step::NeedMore`). State that outlives a window
//! (open elements, sibling names, namespace bindings) is then copied into an arena owned by the
//! stream (see `stream`), so memory is bounded by nesting depth and the largest token.
//!
//! **Encoding:** UTF-8 only (with or without BOM). A UTF-16 document or an `encoding` other than
//! UTF-8 is refused with [`XmlErrorKind::UnsupportedEncoding`].

mod chars;
mod declaration;
mod error;
mod position;
mod scan;
mod stream;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use chars::{is_whitespace, CharIssue, QNameProblem, ReferenceProblem};
pub use error::{Position, XmlError, XmlErrorKind};
use position::LineIndex;
use scan::Token;
pub use stream::{EventStream, ReadError, StreamError, DEFAULT_WINDOW_BYTES};

/// The namespace bound to the `xml` prefix.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` attributes; nothing may be bound to it.
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Distinct child names counted per parent for `[n]` in element paths. Beyond this, further
/// new names are not counted (their path steps show no index), which keeps memory bounded by
/// depth even for documents with unbounded distinct sibling names.
const MAX_TRACKED_SIBLING_NAMES: usize = 1024;

/// Resource limits, enforced while reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of nested open elements (the root is depth 1).
    pub max_depth: usize,
    /// Maximum number of attributes on one element, namespace declarations included.
    pub max_attributes: usize,
    /// Maximum bytes of one [`Event::Text`] (after decoding) and of one raw attribute value.
    pub max_text_bytes: usize,
    /// Maximum size of the document in bytes.
    pub max_total_bytes: usize,
    /// Maximum bytes of an element or attribute name, PI target or entity name.
    pub max_name_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_attributes: 256,
            max_text_bytes: 16 << 20,
            max_total_bytes: usize::MAX,
            max_name_bytes: 1024,
        }
    }
}

/// A namespace-resolved name. `namespace` is `None` for no namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QName<'a> {
    pub namespace: Option<&'a str>,
    pub local: &'a str,
    pub prefix: Option<&'a str>,
}

impl fmt::Display for QName<'_> {
    /// The name as written: `prefix:local` or `local`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(p) => write!(f, "{p}:{}", self.local),
            None => f.write_str(self.local),
        }
    }
}

/// An attribute other than a namespace declaration, with its value normalized as for CDATA
/// (XML 1.0 §3.3.3): references resolved, each literal tab, LF, CR or CR LF replaced by a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub name: QName<'a>,
    pub value: Cow<'a, str>,
    /// Where the attribute name starts (offset after the byte order mark); turned into a
    /// line and column only when asked, by [`Reader::attribute_position`].
    offset: usize,
}

/// A namespace declaration (`xmlns="..."` has prefix `None`; an empty `uri` undeclares).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceDeclaration<'a> {
    pub prefix: Option<&'a str>,
    pub uri: &'a str,
}

/// A start tag (also for `<a/>`, which is followed by its [`EndTag`]).
#[derive(Debug, Clone)]
pub struct StartTag<'a> {
    name: QName<'a>,
    attributes: Cow<'a, [Attribute<'a>]>,
    declarations: &'a [Binding<'a>],
    empty: bool,
}

impl<'a> StartTag<'a> {
    pub fn name(&self) -> QName<'a> {
        self.name
    }

    /// Attributes in document order, namespace declarations excluded.
    pub fn attributes(&self) -> &[Attribute<'a>] {
        &self.attributes
    }

    /// The attribute with this expanded name, if present.
    pub fn attribute(&self, namespace: Option<&str>, local: &str) -> Option<&Attribute<'a>> {
        self.attributes
            .iter()
            .find(|a| a.name.local == local && a.name.namespace == namespace)
    }

    /// The namespace declarations made on this element, in document order.
    pub fn namespace_declarations(&self) -> impl Iterator<Item = NamespaceDeclaration<'_>> + '_ {
        self.declarations.iter().map(|b| NamespaceDeclaration {
            prefix: if b.prefix.is_empty() {
                None
            } else {
                Some(b.prefix)
            },
            uri: &b.uri,
        })
    }

    /// Whether the element was written as `<a/>` (its end event follows immediately).
    pub fn is_empty_element(&self) -> bool {
        self.empty
    }
}

/// An end tag; its name is the one of the matching start tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTag<'a> {
    name: QName<'a>,
}

impl<'a> EndTag<'a> {
    pub fn name(&self) -> QName<'a> {
        self.name
    }
}

/// What the reader reports.
///
/// `Text` is all character data between two tags, coalesced into one event: literal text,
/// CDATA sections and references, across comments and processing instructions, with line
/// ends normalized to LF. A `Text` event is never empty. Whitespace outside the root element
/// is not reported; comments and processing instructions are checked and skipped.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    Start(StartTag<'a>),
    End(EndTag<'a>),
    Text(Cow<'a, str>),
    Eof,
}

/// One namespace binding in scope. `prefix` is `""` for the default namespace.
#[derive(Debug, Clone)]
struct Binding<'a> {
    prefix: &'a str,
    uri: Cow<'a, str>,
}

/// Where a name's namespace comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NsRef {
    None,
    Xml,
    Binding(usize),
}

#[derive(Debug)]
struct OpenElement<'i> {
    qname: &'i str,
    prefix: Option<&'i str>,
    local: &'i str,
    ns: NsRef,
    /// `bindings.len()` before this element's declarations.
    bindings_mark: usize,
    /// `siblings.len()` where this element's children's name counts start.
    children_mark: usize,
    /// 1-based index among same-named siblings; 0 when not tracked.
    index: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Prolog,
    Content,
    Epilog,
    Done,
}

/// Work left over from the previous event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// `<a/>` was reported as a start; report its end next.
    End,
    /// An end was reported; the element leaves scope before the next event.
    Pop,
    /// A stream's new window starts with text carried over from the previous one (otherwise
    /// text is always flushed before an event): it ends if a tag follows.
    CarriedText,
}

/// The name [`Reader::started`] and [`Reader::ended`] give when no element is open (never
/// after a start or end step).
const NO_NAME: QName<'static> = QName {
    namespace: None,
    local: "",
    prefix: None,
};

/// Where the text of a [`Step::Text`] is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TextSource {
    Input(usize, usize),
    Buffer,
}

/// What the reader moved to (see [`Reader::advance_in_window`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Start {
        empty: bool,
    },
    End,
    Text(TextSource),
    /// Only with [`Reader::fused_steps`]: the text, and then the end tag of its element that
    /// follows it (see [`Reader::move_to_fused_end`]).
    TextEnd(TextSource),
    Eof,
    /// The window ends inside a token (or before what decides the next event) and more
    /// input follows: nothing of that token has been consumed. Never for the last window.
    NeedMore,
}

/// Streaming, well-formedness-checking reader over a complete document in memory, or over one
/// window of a document read by an [`EventStream`].
///
/// Between events, [`depth`](Self::depth), [`element_path`](Self::element_path) and
/// [`resolve_prefix`](Self::resolve_prefix) describe the scope of the last event; at an
/// [`Event::End`] the closing element is still counted and in scope.
pub struct Reader<'i> {
    /// Input after the byte order mark (for a stream: the current window); all offsets are
    /// relative to it.
    doc: &'i [u8],
    /// Offset of `doc[0]` in the document after the byte order mark (0 for a slice).
    base: usize,
    /// `base + bom_len`: added to window offsets for the size limit.
    shift: usize,
    /// Where text found by the fast path may end: the end of the valid UTF-8, and before the
    /// end of a window that more input follows (text there may go on).
    fast_text_end: usize,
    /// No input follows `doc` (always for a slice).
    last: bool,
    /// Bytes that do not change while this reader exists and that names and namespace URIs
    /// borrow from: the input of a slice reader, the arena of a stream's window.
    stable: &'i [u8],
    /// A stream's reader: comments, processing instructions and end tags are bounded as in
    /// [`stream::token_limit`] whether or not they are cut by the end of a window.
    bounded_tokens: bool,
    /// Where the pending text started when that was in an earlier window: its position and
    /// its offset in the document after the byte order mark.
    text_carried: Option<(Position, usize)>,
    /// The longest valid UTF-8 prefix of `doc`.
    text: &'i str,
    utf8_error_at: Option<usize>,
    bom_len: usize,
    /// Where the tokenizer goes on.
    pos: usize,
    limits: Limits,
    lines: LineIndex,
    event_offset: usize,
    event_position: Cell<Option<Position>>,
    phase: Phase,
    pending: Pending,
    elements: Vec<OpenElement<'i>>,
    siblings: Vec<(&'i str, u32)>,
    bindings: Vec<Binding<'i>>,
    attrs: Vec<Attribute<'i>>,
    attr_ns: Vec<NsRef>,
    /// Some attribute's namespace is an owned (normalized) URI, so the event must copy the
    /// attribute list to borrow it from the reader (rare: `xmlns` values with references).
    attrs_need_rebuild: bool,
    string_pool: Vec<String>,
    order_scratch: Vec<usize>,
    text_buf: String,
    text_acc: Option<TextSource>,
    text_start: usize,
    failed: Option<XmlError>,
    /// The last step taken, for [`Reader::current_event`] (never `TextEnd`: its text, then
    /// its end).
    current: Step,
    /// Text followed by its element's end tag is one [`Step::TextEnd`] (for the validator).
    fused_steps: bool,
    /// Where the end tag of a [`Step::TextEnd`] starts.
    fused_end_offset: usize,
    /// Bit `d` (for depths below 64): in the element open at depth `d`, whitespace-only
    /// character data right before a tag is not reported (see
    /// [`Reader::set_blank_text_unwanted`]).
    skip_blank_text: u64,
    /// A stream's vectors for the state between windows (empty for a slice).
    spare: stream::Spare,
}

impl<'i> Reader<'i> {
    pub fn from_slice(input: &'i [u8], limits: Limits) -> Self {
        let (bom_len, early) = document_start(input);
        let doc = input.get(bom_len..).unwrap_or(&[]);
        let (doc, text, utf8_error_at) = checked_utf8(doc, true);
        Reader {
            doc,
            base: 0,
            shift: bom_len,
            fast_text_end: text.len(),
            last: true,
            stable: input,
            bounded_tokens: false,
            text_carried: None,
            text,
            utf8_error_at,
            bom_len,
            pos: 0,
            limits,
            lines: LineIndex::new(),
            event_offset: 0,
            event_position: Cell::new(None),
            phase: Phase::Prolog,
            pending: Pending::None,
            elements: Vec::new(),
            siblings: Vec::new(),
            bindings: Vec::new(),
            attrs: Vec::new(),
            attr_ns: Vec::new(),
            attrs_need_rebuild: false,
            string_pool: Vec::new(),
            order_scratch: Vec::new(),
            text_buf: String::new(),
            text_acc: None,
            text_start: 0,
            current: Step::Eof,
            fused_steps: false,
            fused_end_offset: 0,
            skip_blank_text: 0,
            spare: stream::Spare::default(),
            failed: early.map(|kind| XmlError {
                kind,
                position: Position::default(),
                element_path: String::new(),
            }),
        }
    }

    /// Next event; [`Event::Eof`] once after the root closed and the rest was checked.
    /// After an error every further call returns the same error.
    pub fn next_event(&mut self) -> Result<Event<'_>, XmlError> {
        self.advance_event()?;
        Ok(self.current_event())
    }

    /// Moves to the next event without borrowing it, so that [`current_event`](Self::current_event)
    /// and the scope queries ([`resolve_prefix`](Self::resolve_prefix)) can be used together.
    pub fn advance_event(&mut self) -> Result<(), XmlError> {
        // Only a stream's window can need more input, and windows are driven by the stream;
        // should one get here, what it holds is all there is.
        while !self.step()? {
            self.last = true;
        }
        Ok(())
    }

    /// For a window of an [`EventStream`] (or a slice): moves to the next event and says what
    /// it is, or [`Step::NeedMore`] when the window ends before it (never for a slice). The
    /// validator's event loop takes the event's parts from here ([`started`](Self::started),
    /// [`ended`](Self::ended), [`text_of`](Self::text_of)) rather than an [`Event`] built and
    /// matched once more.
    #[inline]
    pub(crate) fn advance_in_window(&mut self) -> Result<Step, XmlError> {
        self.step_to()
    }

    /// For the validator's event loop, at a start tag: whether whitespace-only character data
    /// (spaces, tabs, line ends) in the element just opened may go unreported, because the
    /// consumer would do nothing with it (whitespace in element-only content). Only the plain
    /// case is skipped: whitespace alone up to a start or end tag in the same window, within
    /// the limits; anything else is reported as usual. Kept for the element's whole content
    /// (its children decide for themselves; carried across a stream's windows), up to depth 63.
    #[inline]
    pub(crate) fn set_blank_text_unwanted(&mut self, unwanted: bool) {
        let Some(bit) = 1u64.checked_shl(self.elements.len() as u32) else {
            return;
        };
        if unwanted {
            self.skip_blank_text |= bit;
        } else {
            self.skip_blank_text &= !bit;
        }
    }

    /// Whether whitespace-only text in the current element may go unreported.
    #[inline]
    fn blank_text_unwanted(&self) -> bool {
        (self.skip_blank_text >> (self.elements.len() & 63)) & 1 != 0 && self.elements.len() < 64
    }

    /// For the validator's event loop: a text followed directly by its element's end tag
    /// (`<a>text</a>`) comes as one [`Step::TextEnd`], which saves a step per such element.
    #[inline]
    pub(crate) fn fused_steps(&mut self) {
        self.fused_steps = true;
    }

    /// After the text of a [`Step::TextEnd`]: moves to its end tag, as a [`Step::End`] would.
    #[inline]
    pub(crate) fn move_to_fused_end(&mut self) {
        self.current = Step::End;
        self.event_offset = self.fused_end_offset;
        self.event_position.set(None);
    }

    /// The start tag of a [`Step::Start`] just moved to (what [`current_event`](Self::current_event) gives).
    #[inline]
    pub(crate) fn started(&self, empty: bool) -> StartTag<'_> {
        match self.elements.last() {
            Some(el) => StartTag {
                name: self.qname_of(el),
                attributes: self.attribute_list(),
                declarations: self.bindings.get(el.bindings_mark..).unwrap_or(&[]),
                empty,
            },
            // Not after a start tag: an element is open then.
            None => StartTag {
                name: NO_NAME,
                attributes: Cow::Borrowed(&[]),
                declarations: &[],
                empty,
            },
        }
    }

    /// The name of the element a [`Step::End`] just moved to closes.
    #[inline]
    pub(crate) fn ended(&self) -> QName<'_> {
        match self.elements.last() {
            Some(el) => self.qname_of(el),
            None => NO_NAME,
        }
    }

    /// The character data of a [`Step::Text`] just moved to.
    #[inline]
    pub(crate) fn text_of(&self, source: TextSource) -> &str {
        match source {
            TextSource::Input(a, b) => self.text.get(a..b).unwrap_or(""),
            TextSource::Buffer => &self.text_buf,
        }
    }

    /// Bytes that names and namespace URIs borrow from and that do not change while this
    /// reader exists: a string that starts in them is the same string wherever it is seen
    /// (the validator's namespace cache relies on it). The input of a slice reader; the arena
    /// of a stream's window (names borrowed from the window itself, and rewritten values, are
    /// elsewhere).
    pub(crate) fn stable_bytes(&self) -> &'i [u8] {
        self.stable
    }

    /// Takes what the reader holds as the whole rest of the document.
    pub(crate) fn end_of_input(&mut self) {
        self.last = true;
    }

    /// Moves to the next event (`true`), or finds that the window ends before it (`false`).
    #[inline]
    fn step(&mut self) -> Result<bool, XmlError> {
        Ok(!matches!(self.step_to()?, Step::NeedMore))
    }

    /// Moves to the next event and returns it, or finds that the window ends before it
    /// ([`Step::NeedMore`]).
    fn step_to(&mut self) -> Result<Step, XmlError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.advance() {
            Ok(Step::NeedMore) => Ok(Step::NeedMore),
            Ok(step) => {
                self.current = match step {
                    Step::TextEnd(source) => Step::Text(source),
                    other => other,
                };
                Ok(step)
            }
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The event [`advance_event`](Self::advance_event) moved to ([`Event::Eof`] before the first).
    #[inline]
    pub fn current_event(&self) -> Event<'_> {
        self.event(self.current)
    }

    /// Start of the last returned event (for `Text`, of its first piece).
    pub fn position(&self) -> Position {
        if let Some(p) = self.event_position.get() {
            return p;
        }
        let p = self.lines.position(self.doc, self.event_offset);
        self.event_position.set(Some(p));
        p
    }

    /// Where an attribute of the current start tag (or any earlier one) starts.
    pub fn attribute_position(&self, attribute: &Attribute<'_>) -> Position {
        self.lines.position(self.doc, attribute.offset)
    }

    /// Byte offset in the input of the start of the last returned event.
    pub fn byte_offset(&self) -> usize {
        match (self.current, self.text_carried) {
            (Step::Text(_), Some((_, at))) => at + self.bom_len,
            _ => self.base + self.event_offset + self.bom_len,
        }
    }

    /// Open elements as `/a/b[2]/c`: names as written, `[n]` (1-based among same-named
    /// siblings) only when n > 1. Empty when no element is open.
    pub fn element_path(&self) -> String {
        use std::fmt::Write;
        let mut path = String::new();
        for e in &self.elements {
            path.push('/');
            path.push_str(e.qname);
            if e.index > 1 {
                let _ = write!(path, "[{}]", e.index);
            }
        }
        path
    }

    /// The namespace a prefix is bound to in the current scope (`""` = default namespace;
    /// `xml` is predeclared). `None` when unbound or undeclared.
    pub fn resolve_prefix(&self, prefix: &str) -> Option<&str> {
        self.resolve(prefix).and_then(|ns| self.ns_str(ns))
    }

    /// Number of open elements (at a `Start` including it, at an `End` still including it).
    pub fn depth(&self) -> usize {
        self.elements.len()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    // ---- event loop -------------------------------------------------------------------------

    fn advance(&mut self) -> Result<Step, XmlError> {
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::End => {
                // Same place as its start tag.
                self.pending = Pending::Pop;
                return Ok(Step::End);
            }
            Pending::Pop => self.pop_element(),
            Pending::CarriedText => {
                self.event_position.set(None);
                match self.text_continues(self.pos) {
                    Some(true) => {}
                    Some(false) => return Ok(self.flush_text()),
                    None => {
                        self.pending = Pending::CarriedText;
                        return Ok(Step::NeedMore);
                    }
                }
            }
            Pending::None => {}
        }
        self.event_position.set(None);
        if self.phase == Phase::Done {
            return Ok(Step::Eof);
        }
        loop {
            let mut start = self.pos;
            if self.doc.get(start).is_some_and(|&c| is_whitespace(c)) && self.blank_text_unwanted()
            {
                start = self.skip_blank(start);
            }
            if let Some(end) = self.content_text(start)? {
                if self.text_acc.is_some() {
                    match self.text_continues(end) {
                        Some(true) => {}
                        Some(false) => {
                            let step = self.flush_text();
                            return Ok(self.fused_end_tag(step, end));
                        }
                        None => return Ok(Step::NeedMore),
                    }
                }
                continue;
            }
            if let Some(step) = self.expected_end_tag(start) {
                return Ok(step);
            }
            if let Some(found) = self.plain_start_tag(start) {
                return found;
            }
            let (token, end) = match scan::scan(self.doc, start) {
                Ok(found) => found,
                Err((at, message)) => {
                    if !self.last && stream::may_continue(self.doc.get(start..).unwrap_or(&[])) {
                        return self.need_more(start, false);
                    }
                    return Err(self.scan_error(start, at, message));
                }
            };
            if !self.last
                && (token == Token::Eof
                    || (token == Token::Text
                        && end == self.doc.len()
                        && (self.phase == Phase::Content
                            || !self.doc.get(start..end).is_some_and(all_whitespace))))
            {
                // Text may go on in the next window. Whitespace outside the root is checked
                // piece by piece and need not wait; anything else there waits for its whole
                // token, since broken UTF-8 anywhere in it is reported first.
                return self.need_more(start, token == Token::Text);
            }
            if token == Token::Doctype {
                // Refused before anything of it is scanned: no DTD is ever parsed.
                return Err(self.err_at(start, XmlErrorKind::DoctypeNotAllowed));
            }
            if end.saturating_add(self.shift) > self.limits.max_total_bytes {
                let limit = self.limits.max_total_bytes;
                return Err(self.err_at(start, XmlErrorKind::SizeLimitExceeded { limit }));
            }
            self.pos = end;
            match token {
                Token::StartTag => return self.start_tag(start, end),
                Token::EndTag => return self.end_tag(start, end),
                Token::Text => self.text_piece(start, end)?,
                Token::Reference => self.reference(start, end)?,
                Token::CData => self.cdata(start, end)?,
                Token::Comment => self.comment(start, end)?,
                Token::ProcessingInstruction => self.processing_instruction(start, end)?,
                Token::Declaration => self.declaration(start, end)?,
                Token::Doctype => return Err(self.err_at(start, XmlErrorKind::DoctypeNotAllowed)),
                Token::Eof => return self.eof(),
            }
            if self.text_acc.is_some() {
                match self.text_continues(end) {
                    Some(true) => {}
                    Some(false) => return Ok(self.flush_text()),
                    None => return Ok(Step::NeedMore),
                }
            }
        }
    }

    /// The window ends inside the token at `start` (text when `is_text`). Asks for more input,
    /// unless the token is already longer than the limits allow: then the limit's error, so
    /// that the window never grows without bound.
    #[cold]
    fn need_more(&mut self, start: usize, is_text: bool) -> Result<Step, XmlError> {
        if self.doc.len().saturating_add(self.shift) > self.limits.max_total_bytes {
            // The token ends past the size limit: the slice reader's error for it.
            let limit = self.limits.max_total_bytes;
            return Err(self.err_at(start, XmlErrorKind::SizeLimitExceeded { limit }));
        }
        let len = self.doc.len().saturating_sub(start);
        let rest = self.doc.get(start..).unwrap_or(&[]);
        // A CDATA section is text: bounded by the text limit, with the same error as when
        // it is complete.
        let text_len = if is_text {
            Some(len)
        } else if rest.starts_with(b"<![CDATA[") {
            Some(len - 9)
        } else {
            None
        };
        if let Some(len) = text_len {
            let pending = match self.text_acc {
                Some(TextSource::Input(a, b)) => b - a,
                Some(TextSource::Buffer) => self.text_buf.len(),
                None => 0,
            };
            if pending.saturating_add(len) > self.limits.max_text_bytes {
                if self.text_acc.is_none() {
                    self.text_start = start;
                    self.text_carried = None;
                }
                return Err(self.text_limit_error());
            }
        } else {
            let (limit, kind) = stream::token_limit(rest, &self.limits);
            if len > limit {
                let at = if rest.first() == Some(&b'&') {
                    start + 1
                } else {
                    start
                };
                return Err(self.err_at(at, kind));
            }
        }
        self.pos = start;
        Ok(Step::NeedMore)
    }

    #[inline]
    fn event(&self, step: Step) -> Event<'_> {
        match step {
            Step::Start { empty } if !self.elements.is_empty() => Event::Start(self.started(empty)),
            Step::End if !self.elements.is_empty() => Event::End(EndTag { name: self.ended() }),
            Step::Text(source) | Step::TextEnd(source) => {
                Event::Text(Cow::Borrowed(self.text_of(source)))
            }
            Step::Start { .. } | Step::End | Step::Eof | Step::NeedMore => Event::Eof,
        }
    }

    #[inline]
    fn qname_of(&self, el: &OpenElement<'i>) -> QName<'_> {
        QName {
            namespace: self.ns_str(el.ns),
            local: el.local,
            prefix: el.prefix,
        }
    }

    #[inline]
    fn attribute_list(&self) -> Cow<'_, [Attribute<'_>]> {
        if !self.attrs_need_rebuild {
            return Cow::Borrowed(self.attrs.as_slice());
        }
        Cow::Owned(
            self.attrs
                .iter()
                .zip(&self.attr_ns)
                .map(|(a, &ns)| Attribute {
                    name: QName {
                        namespace: self.ns_str(ns),
                        ..a.name
                    },
                    value: a.value.clone(),
                    offset: a.offset,
                })
                .collect(),
        )
    }

    /// A slice of the validated input; an error from the first invalid UTF-8 byte on.
    fn src(&self, a: usize, b: usize) -> Result<&'i str, XmlError> {
        let text: &'i str = self.text;
        match text.get(a..b) {
            Some(s) => Ok(s),
            None => Err(self.err_at(self.utf8_error_at.unwrap_or(a), XmlErrorKind::InvalidUtf8)),
        }
    }

    fn err_at(&self, offset: usize, kind: XmlErrorKind) -> XmlError {
        XmlError {
            kind,
            position: self.lines.position(self.doc, offset),
            element_path: self.element_path(),
        }
    }

    fn char_issue(&self, base: usize, issue: CharIssue) -> XmlError {
        match issue {
            CharIssue::Illegal { at, code_point } => {
                self.err_at(base + at, XmlErrorKind::IllegalCharacter(code_point))
            }
            CharIssue::CdataEnd { at } => self.err_at(
                base + at,
                XmlErrorKind::Syntax(
                    "']]>' is not allowed in character data; write ']]&gt;'".into(),
                ),
            ),
            CharIssue::LessThan { at } => self.err_at(
                base + at,
                XmlErrorKind::Syntax("'<' is not allowed in attribute values; write '&lt;'".into()),
            ),
            CharIssue::Reference { at, problem } => self.reference_error(base + at, problem),
        }
    }

    /// The tokenizer's error for the token at `start`; but an unterminated reference whose
    /// run (up to the next `&`, `<` or the end) is longer than a name may be gets the name
    /// limit's error, which is what a stream reports when a window cuts that run, so that
    /// slices and streams of any window size agree (found by the `stream` fuzz target).
    #[cold]
    fn scan_error(&self, start: usize, at: usize, message: &str) -> XmlError {
        let rest = self.doc.get(start..).unwrap_or(&[]);
        if rest.first() == Some(&b'&') {
            let run = memchr::memchr2(b'&', b'<', rest.get(1..).unwrap_or(&[]))
                .map_or(rest.len(), |i| i + 1);
            let (limit, kind) = stream::token_limit(rest, &self.limits);
            if run > limit {
                return self.err_at(start + 1, kind);
            }
        }
        self.err_at(at, XmlErrorKind::Syntax(message.to_owned()))
    }

    fn reference_error(&self, offset: usize, problem: ReferenceProblem) -> XmlError {
        let kind = match problem {
            ReferenceProblem::Unterminated => XmlErrorKind::Syntax(
                "'&' must start a reference such as '&amp;' or '&#38;' ending with ';'".into(),
            ),
            ReferenceProblem::MalformedCharRef(s) => XmlErrorKind::Syntax(format!(
                "malformed character reference '&{s};'; expected '&#DIGITS;' or '&#xHEX;'"
            )),
            ReferenceProblem::IllegalChar(cp) => XmlErrorKind::IllegalCharacter(cp),
            ReferenceProblem::UnknownEntity(name) => XmlErrorKind::UnknownEntity(name),
            ReferenceProblem::InvalidName(name) => XmlErrorKind::Syntax(format!(
                "malformed reference '&{name};'; expected an entity name or a character reference"
            )),
        };
        self.err_at(offset, kind)
    }

    fn qname_error(&self, offset: usize, name: &str, problem: QNameProblem) -> XmlError {
        let kind = match problem {
            QNameProblem::NotAName => XmlErrorKind::InvalidName(name.to_owned()),
            QNameProblem::NotAQName => XmlErrorKind::InvalidQName(name.to_owned()),
        };
        self.err_at(offset, kind)
    }

    fn eof(&mut self) -> Result<Step, XmlError> {
        let end = self.doc.len();
        if let Some(at) = self.utf8_error_at {
            return Err(self.err_at(at, XmlErrorKind::InvalidUtf8));
        }
        match self.phase {
            Phase::Prolog => Err(self.err_at(end, XmlErrorKind::NoRoot)),
            Phase::Content => Err(self.err_at(end, XmlErrorKind::UnclosedElements)),
            Phase::Epilog | Phase::Done => {
                self.phase = Phase::Done;
                self.event_offset = end;
                Ok(Step::Eof)
            }
        }
    }

    // ---- character data ---------------------------------------------------------------------

    /// Whether character data goes on after `at`: more text, a reference, comment, PI or
    /// CDATA section (and not a tag or the end of the document). `None` when the window ends
    /// before that is decided.
    fn text_continues(&self, at: usize) -> Option<bool> {
        match self.doc.get(at) {
            None => self.last.then_some(false),
            Some(b'<') => match self.doc.get(at + 1) {
                Some(b'!' | b'?') => Some(true),
                Some(_) => Some(false),
                None => self.last.then_some(false),
            },
            Some(_) => Some(true),
        }
    }

    fn flush_text(&mut self) -> Step {
        self.event_offset = self.text_start;
        if let Some((position, _)) = self.text_carried {
            self.event_position.set(Some(position));
        }
        match self.text_acc.take() {
            Some(source) => Step::Text(source),
            None => Step::Text(TextSource::Buffer),
        }
    }

    fn begin_piece(&mut self, at: usize) {
        if self.text_acc.is_none() {
            self.text_start = at;
            self.text_carried = None;
        }
    }

    /// Switches the pending text to the buffer (copying a borrowed first piece).
    fn buffered(&mut self) -> &mut String {
        match self.text_acc {
            Some(TextSource::Buffer) => {}
            Some(TextSource::Input(a, b)) => {
                self.text_buf.clear();
                self.text_buf.push_str(self.text.get(a..b).unwrap_or(""));
            }
            None => self.text_buf.clear(),
        }
        self.text_acc = Some(TextSource::Buffer);
        &mut self.text_buf
    }

    fn add_input_piece(&mut self, piece_start: usize, a: usize, b: usize) -> Result<(), XmlError> {
        if a >= b {
            return Ok(());
        }
        self.begin_piece(piece_start);
        match self.text_acc {
            None => self.text_acc = Some(TextSource::Input(a, b)),
            Some(_) => {
                let piece = self.text.get(a..b).unwrap_or("");
                self.buffered().push_str(piece);
            }
        }
        self.check_text_limit()
    }

    fn check_text_limit(&self) -> Result<(), XmlError> {
        let len = match self.text_acc {
            Some(TextSource::Input(a, b)) => b - a,
            Some(TextSource::Buffer) => self.text_buf.len(),
            None => 0,
        };
        if len > self.limits.max_text_bytes {
            return Err(self.text_limit_error());
        }
        Ok(())
    }

    /// The text limit error, at the start of the pending text.
    fn text_limit_error(&self) -> XmlError {
        let kind = XmlErrorKind::TextLimitExceeded {
            limit: self.limits.max_text_bytes,
        };
        match self.text_carried {
            Some((position, _)) => XmlError {
                kind,
                position,
                element_path: self.element_path(),
            },
            None => self.err_at(self.text_start, kind),
        }
    }

    fn text_piece(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        let raw = self.src(start, end)?;
        if self.phase != Phase::Content {
            if let Some(i) = raw.bytes().position(|b| !is_whitespace(b)) {
                return Err(self.err_at(start + i, XmlErrorKind::TextOutsideRoot));
            }
            return Ok(());
        }
        match chars::check_text(raw, true) {
            Err(issue) => Err(self.char_issue(start, issue)),
            Ok(false) => self.add_input_piece(start, start, end),
            Ok(true) => {
                self.begin_piece(start);
                chars::push_normalized_line_ends(self.buffered(), raw);
                self.check_text_limit()
            }
        }
    }

    /// Where whitespace-only character data at `start` that nobody wants reported ends:
    /// after it when it runs up to a start or end tag within the window and the limits (it
    /// is then consumed, as if reported), otherwise `start`.
    #[inline]
    fn skip_blank(&mut self, start: usize) -> usize {
        if self.text_acc.is_some() || self.phase != Phase::Content {
            return start;
        }
        let rest = self.doc.get(start..).unwrap_or(&[]);
        let len = rest
            .iter()
            .position(|&c| !is_whitespace(c))
            .unwrap_or(rest.len());
        let tag_follows = rest.get(len) == Some(&b'<')
            && rest.get(len + 1).is_some_and(|&c| c != b'!' && c != b'?');
        let end = start + len;
        if !tag_follows
            || len > self.limits.max_text_bytes
            || end.saturating_add(self.shift) > self.limits.max_total_bytes
        {
            return start;
        }
        self.pos = end;
        end
    }

    /// Character data inside the root at `start`, delimited and checked in one pass (the
    /// common case). `None` when there is none, or for anything unusual (a character
    /// problem, the size limit, broken UTF-8): the general path then finds and reports it.
    fn content_text(&mut self, start: usize) -> Result<Option<usize>, XmlError> {
        if self.phase != Phase::Content {
            return Ok(None);
        }
        let Some((len, has_cr)) = self.doc.get(start..).and_then(chars::scan_text) else {
            return Ok(None);
        };
        let end = start + len;
        if len == 0
            || end > self.fast_text_end
            || end.saturating_add(self.shift) > self.limits.max_total_bytes
        {
            return Ok(None);
        }
        self.pos = end;
        if has_cr {
            self.begin_piece(start);
            let raw = self.text.get(start..end).unwrap_or("");
            chars::push_normalized_line_ends(self.buffered(), raw);
            self.check_text_limit()?;
        } else if self.text_acc.is_none() && len <= self.limits.max_text_bytes {
            // The common case, inline: the first piece of an element's text, borrowed.
            self.text_start = start;
            self.text_carried = None;
            self.text_acc = Some(TextSource::Input(start, end));
        } else {
            self.add_input_piece(start, start, end)?;
        }
        Ok(Some(end))
    }

    fn reference(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        // The name limit first: a stream whose window cuts a long reference reports it
        // before it can see the whole token, wherever the reference is.
        let name = self.src(start + 1, end.saturating_sub(1))?;
        if name.len() > self.limits.max_name_bytes {
            let limit = self.limits.max_name_bytes;
            return Err(self.err_at(start + 1, XmlErrorKind::NameTooLong { limit }));
        }
        if self.phase != Phase::Content {
            return Err(self.err_at(start, XmlErrorKind::TextOutsideRoot));
        }
        match chars::resolve_reference(name) {
            Ok(c) => {
                self.begin_piece(start);
                self.buffered().push(c);
                self.check_text_limit()
            }
            Err(problem) => Err(self.reference_error(start, problem)),
        }
    }

    fn cdata(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        if self.phase != Phase::Content {
            return Err(self.err_at(start, XmlErrorKind::TextOutsideRoot));
        }
        let (a, b) = (start + 9, end.saturating_sub(3)); // `<![CDATA[` ... `]]>`
        let content = self.src(a, b)?;
        match chars::check_text(content, false) {
            Err(issue) => Err(self.char_issue(a, issue)),
            Ok(false) => self.add_input_piece(start, a, b),
            Ok(true) => {
                self.begin_piece(start);
                chars::push_normalized_line_ends(self.buffered(), content);
                self.check_text_limit()
            }
        }
    }

    /// For a stream, the token limit of markup that has no limit of its own (see
    /// [`stream::token_limit`]), so that windows of any size give the same verdict.
    fn check_token_size(&self, start: usize, end: usize) -> Result<(), XmlError> {
        if !self.bounded_tokens {
            return Ok(());
        }
        let token = self.doc.get(start..end).unwrap_or(&[]);
        let (limit, kind) = stream::token_limit(token, &self.limits);
        if token.len() > limit {
            return Err(self.err_at(start, kind));
        }
        Ok(())
    }

    fn comment(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        self.check_token_size(start, end)?;
        let (a, b) = (start + 4, end.saturating_sub(3)); // `<!--` ... `-->`
        let content = self.src(a, b)?;
        if let Some(i) = content.find("--") {
            return Err(self.err_at(
                a + i,
                XmlErrorKind::Syntax("'--' is not allowed inside a comment".into()),
            ));
        }
        if content.ends_with('-') {
            return Err(self.err_at(
                b - 1,
                XmlErrorKind::Syntax("a comment must not end with '--->'; expected '-->'".into()),
            ));
        }
        chars::check_text(content, false).map_err(|issue| self.char_issue(a, issue))?;
        Ok(())
    }

    fn processing_instruction(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        self.check_token_size(start, end)?;
        let a = start + 2; // `<?` ... `?>`
        let content = self.src(a, end.saturating_sub(2))?;
        let target_len = content
            .bytes()
            .position(is_whitespace)
            .unwrap_or(content.len());
        let target = content.get(..target_len).unwrap_or("");
        if target.is_empty() {
            return Err(self.err_at(
                a,
                XmlErrorKind::Syntax("expected a processing instruction target after '<?'".into()),
            ));
        }
        if target.len() > self.limits.max_name_bytes {
            let limit = self.limits.max_name_bytes;
            return Err(self.err_at(a, XmlErrorKind::NameTooLong { limit }));
        }
        if target.eq_ignore_ascii_case("xml") {
            return Err(self.err_at(
                a,
                XmlErrorKind::Syntax(format!(
                    "processing instruction target '{target}' is reserved; an XML declaration \
                     '<?xml' is only allowed at the start of the document"
                )),
            ));
        }
        // Namespaces 1.0 §7: no colons in PI targets.
        if !chars::is_ncname(target) {
            return Err(self.err_at(a, XmlErrorKind::InvalidName(target.to_owned())));
        }
        chars::check_text(content, false).map_err(|issue| self.char_issue(a, issue))?;
        Ok(())
    }

    fn declaration(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        self.check_token_size(start, end)?;
        if self.base + start != 0 {
            return Err(self.err_at(
                start,
                XmlErrorKind::InvalidXmlDeclaration(
                    "an XML declaration is only allowed at the very start of the document".into(),
                ),
            ));
        }
        let decl = self.src(start, end)?;
        declaration::check_declaration(decl).map_err(|(at, kind)| self.err_at(start + at, kind))
    }

    // ---- tags ---------------------------------------------------------------------------------

    /// The common start tag, delimited and parsed in one pass: `<`, an ASCII qualified name,
    /// then `>` or `/>` (no attributes, no whitespace). `None` for anything else, or when the
    /// tag is not all there or runs into a limit: the general path (the tokenizer, then
    /// [`start_tag`](Self::start_tag)) decides and reports, as if this had not been tried.
    #[inline]
    fn plain_start_tag(&mut self, start: usize) -> Option<Result<Step, XmlError>> {
        #[cfg(test)]
        if tests::GENERAL_PATH_ONLY.get() {
            return None;
        }
        let rest = self.doc.get(start..)?;
        if rest.first() != Some(&b'<') {
            return None;
        }
        let (name_len, colon) = chars::ascii_qname(rest.get(1..)?)?;
        let (empty, end) = match rest.get(1 + name_len) {
            Some(b'>') => (false, start + name_len + 2),
            Some(b'/') if rest.get(2 + name_len) == Some(&b'>') => (true, start + name_len + 3),
            Some(&c) if is_whitespace(c) => {
                return self.attributed_start_tag(start, name_len, colon)
            }
            _ => return None,
        };
        if name_len > self.limits.max_name_bytes
            || end > self.text.len()
            || end.saturating_add(self.shift) > self.limits.max_total_bytes
        {
            return None;
        }
        let qname = self.text.get(start + 1..start + 1 + name_len)?;
        self.pos = end;
        if self.phase == Phase::Epilog {
            return Some(Err(self.err_at(start, XmlErrorKind::MultipleRoots)));
        }
        self.event_offset = start;
        let name = split_at_colon(qname, colon);
        self.recycle_attributes();
        Some(self.open_element(start, qname, qname, name, empty))
    }

    /// [`plain_start_tag`](Self::plain_start_tag) for a tag whose ASCII name of `name_len`
    /// bytes is followed by whitespace: its attributes delimited, checked and collected in the
    /// same pass. Only attributes written `name="value"` or `name='value'` with an ASCII
    /// qualified name and a value that needs no rewriting; no namespace declarations. Anything
    /// else, a tag cut by a window's end or one running into a limit gives `None` with nothing
    /// changed but the (emptied) attribute list: the general path then decides and reports.
    #[inline(never)]
    fn attributed_start_tag(
        &mut self,
        start: usize,
        name_len: usize,
        colon: Option<usize>,
    ) -> Option<Result<Step, XmlError>> {
        self.recycle_attributes();
        let found = self.collect_plain_attributes(start + 1 + name_len);
        let Some((empty, end)) = found else {
            // Only borrowed values were added: nothing to recycle.
            self.attrs.clear();
            return None;
        };
        if name_len > self.limits.max_name_bytes
            || end > self.text.len()
            || end.saturating_add(self.shift) > self.limits.max_total_bytes
        {
            self.attrs.clear();
            return None;
        }
        let Some(qname) = self.text.get(start + 1..start + 1 + name_len) else {
            self.attrs.clear();
            return None;
        };
        self.pos = end;
        if self.phase == Phase::Epilog {
            return Some(Err(self.err_at(start, XmlErrorKind::MultipleRoots)));
        }
        self.event_offset = start;
        let name = split_at_colon(qname, colon);
        Some(self.open_element(start, qname, qname, name, empty))
    }

    /// The attributes from `at` (just after the element name, at whitespace) up to `>` or
    /// `/>`, pushed to `attrs` as they are found: whether the tag is empty and the offset after
    /// it. `None` as soon as something is not for [`attributed_start_tag`](Self::attributed_start_tag).
    #[inline]
    fn collect_plain_attributes(&mut self, at: usize) -> Option<(bool, usize)> {
        let doc = self.doc;
        let text = self.text;
        // A cursor rather than an index: fewer live values in the loops below (with an index
        // into `doc` they were kept on the stack, about twice the instructions per byte).
        let offset = |rest: &[u8]| doc.len() - rest.len();
        let mut rest = doc.get(at..)?;
        loop {
            let before = rest.len();
            while let Some((&c, after)) = rest.split_first() {
                if !is_whitespace(c) {
                    break;
                }
                rest = after;
            }
            let (&c, after) = rest.split_first()?;
            match c {
                b'>' => return Some((false, offset(after))),
                b'/' => return (after.first() == Some(&b'>')).then(|| (true, offset(after) + 1)),
                _ if rest.len() == before => return None,
                _ => {}
            }
            let name_start = offset(rest);
            let (len, colon) = chars::ascii_qname(rest)?;
            let [b'=', quote @ (b'"' | b'\''), value @ ..] = rest.get(len..)? else {
                return None;
            };
            let value_len = chars::plain_attribute_value(value, *quote)?;
            let value_start = offset(value);
            rest = value.get(value_len + 1..)?;
            if self.attrs.len() >= self.limits.max_attributes
                || len > self.limits.max_name_bytes
                || value_len > self.limits.max_text_bytes
            {
                return None;
            }
            let name = text.get(name_start..name_start + len)?;
            let value = text.get(value_start..value_start + value_len)?;
            let (prefix, local) = split_at_colon(name, colon);
            if prefix == Some("xmlns") || (prefix.is_none() && local == "xmlns") {
                return None;
            }
            self.attrs.push(Attribute {
                name: QName {
                    namespace: None,
                    local,
                    prefix,
                },
                value: Cow::Borrowed(value),
                offset: name_start,
            });
        }
    }

    /// Opens the element of the start tag at `start`: `content` is the tag between `<` and
    /// `>` or `/>`, starting with the checked name `qname` (`prefix:local`). The attributes
    /// after the name are parsed here; those already in `attrs` (the caller recycled the last
    /// tag's) are kept, which is how [`attributed_start_tag`](Self::attributed_start_tag)
    /// passes content that is just the name.
    fn open_element(
        &mut self,
        start: usize,
        content: &'i str,
        qname: &'i str,
        (prefix, local): (Option<&'i str>, &'i str),
        empty: bool,
    ) -> Result<Step, XmlError> {
        let name_at = start + 1;
        let index = self.sibling_index(qname);
        let bindings_mark = self.bindings.len();
        self.elements.push(OpenElement {
            qname,
            prefix,
            local,
            ns: NsRef::None,
            bindings_mark,
            children_mark: self.siblings.len(),
            index,
        });
        self.phase = Phase::Content;
        if self.elements.len() > self.limits.max_depth {
            let limit = self.limits.max_depth;
            return Err(self.err_at(start, XmlErrorKind::DepthLimitExceeded { limit }));
        }
        if content.len() > qname.len() {
            self.parse_attributes(content, qname.len(), name_at)?;
        }
        if prefix == Some("xmlns") {
            return Err(self.err_at(
                name_at,
                XmlErrorKind::ReservedPrefix {
                    prefix: "xmlns".into(),
                    reason: "element names must not use the xmlns prefix",
                },
            ));
        }
        // Most elements use their parent's prefix and declare nothing: then the scope is the
        // parent's and so is the namespace, without a search through the bindings.
        let depth = self.elements.len();
        let inherited = match self.elements.get(depth.wrapping_sub(2)) {
            Some(parent)
                if self.bindings.len() == bindings_mark
                    && match (parent.prefix, prefix) {
                        (None, None) => true,
                        (Some(a), Some(b)) => same_bytes(a.as_bytes(), b.as_bytes()),
                        _ => false,
                    } =>
            {
                Some(parent.ns)
            }
            _ => None,
        };
        let ns = match inherited {
            Some(ns) => ns,
            None => match (self.resolve(prefix.unwrap_or("")), prefix) {
                (Some(ns), _) => ns,
                (None, None) => NsRef::None,
                (None, Some(p)) => {
                    return Err(self.err_at(name_at, XmlErrorKind::UndeclaredPrefix(p.to_owned())))
                }
            },
        };
        if let Some(el) = self.elements.last_mut() {
            el.ns = ns;
        }
        if !self.attrs.is_empty() {
            self.resolve_attributes()?;
            self.check_duplicate_attributes()?;
        }
        if empty {
            self.pending = Pending::End;
        }
        Ok(Step::Start { empty })
    }

    fn start_tag(&mut self, start: usize, end: usize) -> Result<Step, XmlError> {
        if self.phase == Phase::Epilog {
            return Err(self.err_at(start, XmlErrorKind::MultipleRoots));
        }
        self.event_offset = start;
        let inner = self.src(start + 1, end.saturating_sub(1))?;
        let (content, empty) = match inner.strip_suffix('/') {
            Some(c) => (c, true),
            None => (inner, false),
        };
        let fast = ascii_qname_in_tag(content.as_bytes());
        let name_len = match fast {
            Some((len, _)) => len,
            None => content
                .bytes()
                .position(|b| is_whitespace(b) || is_tag_delimiter(b))
                .unwrap_or(content.len()),
        };
        let qname = content.get(..name_len).unwrap_or("");
        let name_at = start + 1;
        if qname.is_empty() {
            return Err(self.err_at(
                name_at,
                XmlErrorKind::Syntax("expected an element name after '<'".into()),
            ));
        }
        if qname.len() > self.limits.max_name_bytes {
            let limit = self.limits.max_name_bytes;
            return Err(self.err_at(name_at, XmlErrorKind::NameTooLong { limit }));
        }
        let name = match fast {
            Some((_, colon)) => split_at_colon(qname, colon),
            None => chars::split_qname(qname).map_err(|p| self.qname_error(name_at, qname, p))?,
        };
        self.recycle_attributes();
        self.open_element(start, content, qname, name, empty)
    }

    /// For [`fused_steps`](Self::fused_steps): the text step `step` as a
    /// [`Step::TextEnd`] when the expected end tag follows at `at` (consumed then, its offset
    /// kept for [`move_to_fused_end`](Self::move_to_fused_end)).
    #[inline]
    fn fused_end_tag(&mut self, step: Step, at: usize) -> Step {
        let Step::Text(source) = step else {
            return step;
        };
        if !self.fused_steps {
            return step;
        }
        let text_offset = self.event_offset;
        if self.expected_end_tag(at).is_none() {
            return step;
        }
        // The text is the event until `move_to_fused_end`.
        self.fused_end_offset = self.event_offset;
        self.event_offset = text_offset;
        Step::TextEnd(source)
    }

    /// The common end tag, recognized without a search: exactly `</`, the open element's
    /// name and `>`. `None` for anything else (the general path decides).
    fn expected_end_tag(&mut self, start: usize) -> Option<Step> {
        let name = self.elements.last()?.qname.as_bytes();
        let rest = self.doc.get(start..)?;
        let end = start + 3 + name.len();
        let matches = rest.starts_with(b"</")
            && rest.get(2..2 + name.len()) == Some(name)
            && rest.get(2 + name.len()) == Some(&b'>');
        if !matches || end.saturating_add(self.shift) > self.limits.max_total_bytes {
            return None;
        }
        self.pos = end;
        self.event_offset = start;
        self.pending = Pending::Pop;
        Some(Step::End)
    }

    fn end_tag(&mut self, start: usize, end: usize) -> Result<Step, XmlError> {
        self.check_token_size(start, end)?;
        self.event_offset = start;
        let inner = self.src(start + 2, end.saturating_sub(1))?;
        let name_len = inner
            .bytes()
            .position(|b| is_whitespace(b) || is_tag_delimiter(b))
            .unwrap_or(inner.len());
        let name = inner.get(..name_len).unwrap_or("");
        if name.is_empty() {
            return Err(self.err_at(
                start + 2,
                XmlErrorKind::Syntax("expected an element name after '</'".into()),
            ));
        }
        if name.len() > self.limits.max_name_bytes {
            let limit = self.limits.max_name_bytes;
            return Err(self.err_at(start + 2, XmlErrorKind::NameTooLong { limit }));
        }
        let expected = match self.elements.last() {
            None => return Err(self.err_at(start, XmlErrorKind::UnmatchedEndTag(name.to_owned()))),
            Some(el) => el.qname,
        };
        if expected != name {
            return Err(self.err_at(
                start,
                XmlErrorKind::MismatchedEndTag {
                    expected: expected.to_owned(),
                    found: name.to_owned(),
                },
            ));
        }
        let rest = inner.get(name_len..).unwrap_or("");
        if let Some(i) = rest.bytes().position(|b| !is_whitespace(b)) {
            return Err(self.err_at(
                start + 2 + name_len + i,
                XmlErrorKind::Syntax(format!(
                    "unexpected content in end tag </{name}>; expected '>'"
                )),
            ));
        }
        self.pending = Pending::Pop;
        Ok(Step::End)
    }

    fn pop_element(&mut self) {
        if let Some(el) = self.elements.pop() {
            self.siblings.truncate(el.children_mark);
            self.bindings.truncate(el.bindings_mark);
        }
        if self.elements.is_empty() && self.phase == Phase::Content {
            self.phase = Phase::Epilog;
        }
    }

    /// Counts `qname` among the current parent's children and returns its 1-based index.
    fn sibling_index(&mut self, qname: &'i str) -> u32 {
        let segment_start = self.elements.last().map_or(0, |p| p.children_mark);
        let len = self.siblings.len();
        if let Some(entry) = self.siblings.get_mut(segment_start..).and_then(|seg| {
            seg.iter_mut()
                .find(|(n, _)| same_bytes(n.as_bytes(), qname.as_bytes()))
        }) {
            entry.1 = entry.1.saturating_add(1);
            return entry.1;
        }
        if len.saturating_sub(segment_start) < MAX_TRACKED_SIBLING_NAMES {
            self.siblings.push((qname, 1));
            1
        } else {
            0
        }
    }

    #[inline]
    fn recycle_attributes(&mut self) {
        // Most tags have no attributes: then there is nothing to recycle (a drain of an
        // empty vector still costs its setup and drop).
        if self.attrs.is_empty() && !self.attrs_need_rebuild {
            self.attr_ns.clear();
            return;
        }
        self.recycle_attribute_values();
    }

    /// Out of line: called from two places (a start tag, a stream's suspend), it would not be
    /// inlined, and the common case above must be.
    #[inline(never)]
    fn recycle_attribute_values(&mut self) {
        for a in self.attrs.drain(..) {
            if let Cow::Owned(mut s) = a.value {
                s.clear();
                self.string_pool.push(s);
            }
        }
        self.attr_ns.clear();
        self.attrs_need_rebuild = false;
    }

    /// Parses the attributes after the element name (`content` is the tag between `<` and
    /// `>` or `/>`, `base` the offset of `content`).
    fn parse_attributes(
        &mut self,
        content: &'i str,
        name_len: usize,
        base: usize,
    ) -> Result<(), XmlError> {
        let b = content.as_bytes();
        let mut i = name_len;
        let mut count = 0usize;
        loop {
            let ws_start = i;
            while b.get(i).is_some_and(|&c| is_whitespace(c)) {
                i += 1;
            }
            let Some(&c) = b.get(i) else {
                return Ok(());
            };
            let had_whitespace = i > ws_start;
            let name_start = i;
            let fast = ascii_qname_in_tag(b.get(i..).unwrap_or(&[]));
            match fast {
                Some((len, _)) => i += len,
                None => {
                    while b
                        .get(i)
                        .is_some_and(|&c| !is_whitespace(c) && !is_tag_delimiter(c))
                    {
                        i += 1;
                    }
                }
            }
            if !had_whitespace || i == name_start {
                let shown = content.get(name_start..).and_then(|s| s.chars().next());
                return Err(self.err_at(
                    base + name_start,
                    XmlErrorKind::Syntax(format!(
                        "unexpected '{}' in start tag; expected whitespace and an attribute \
                         name, '>' or '/>'",
                        shown.unwrap_or(char::from(c))
                    )),
                ));
            }
            let name = content.get(name_start..i).unwrap_or("");
            count += 1;
            if count > self.limits.max_attributes {
                let limit = self.limits.max_attributes;
                return Err(self.err_at(
                    base + name_start,
                    XmlErrorKind::AttributeLimitExceeded { limit },
                ));
            }
            if name.len() > self.limits.max_name_bytes {
                let limit = self.limits.max_name_bytes;
                return Err(self.err_at(base + name_start, XmlErrorKind::NameTooLong { limit }));
            }
            let (prefix, local) = match fast {
                Some((_, colon)) => split_at_colon(name, colon),
                None => chars::split_qname(name)
                    .map_err(|p| self.qname_error(base + name_start, name, p))?,
            };
            while b.get(i).is_some_and(|&c| is_whitespace(c)) {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                return Err(self.err_at(
                    base + i,
                    XmlErrorKind::Syntax(format!("expected '=' after attribute name '{name}'")),
                ));
            }
            i += 1;
            while b.get(i).is_some_and(|&c| is_whitespace(c)) {
                i += 1;
            }
            let quote = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => {
                    return Err(self.err_at(
                        base + i,
                        XmlErrorKind::Syntax(format!(
                            "expected a quoted value for attribute '{name}'"
                        )),
                    ))
                }
            };
            let value_start = i + 1;
            let Some(len) = b.get(value_start..).and_then(|v| memchr::memchr(quote, v)) else {
                return Err(self.err_at(
                    base + i,
                    XmlErrorKind::Syntax(format!("value of attribute '{name}' is not closed")),
                ));
            };
            let raw = content.get(value_start..value_start + len).unwrap_or("");
            i = value_start + len + 1;
            if raw.len() > self.limits.max_text_bytes {
                let limit = self.limits.max_text_bytes;
                return Err(self.err_at(
                    base + value_start,
                    XmlErrorKind::TextLimitExceeded { limit },
                ));
            }
            let value = self.attribute_value(raw, base + value_start)?;
            let name_offset = base + name_start;
            if prefix == Some("xmlns") {
                self.declare(Some(local), value, name_offset)?;
            } else if prefix.is_none() && local == "xmlns" {
                self.declare(None, value, name_offset)?;
            } else {
                self.attrs.push(Attribute {
                    name: QName {
                        namespace: None,
                        local,
                        prefix,
                    },
                    value,
                    offset: name_offset,
                });
            }
        }
    }

    fn attribute_value(&mut self, raw: &'i str, at: usize) -> Result<Cow<'i, str>, XmlError> {
        match chars::check_attribute_value(raw) {
            Ok(false) => Ok(Cow::Borrowed(raw)),
            Ok(true) => {
                let mut s = self.string_pool.pop().unwrap_or_default();
                match chars::normalize_attribute_value(raw, &mut s) {
                    Ok(()) => Ok(Cow::Owned(s)),
                    Err(issue) => Err(self.char_issue(at, issue)),
                }
            }
            Err(issue) => Err(self.char_issue(at, issue)),
        }
    }

    fn declare(
        &mut self,
        prefix: Option<&'i str>,
        uri: Cow<'i, str>,
        at: usize,
    ) -> Result<(), XmlError> {
        let key = prefix.unwrap_or("");
        let mark = self.elements.last().map_or(0, |e| e.bindings_mark);
        let duplicate = self
            .bindings
            .get(mark..)
            .is_some_and(|own| own.iter().any(|b| b.prefix == key));
        if duplicate {
            let name = match prefix {
                Some(p) => format!("xmlns:{p}"),
                None => "xmlns".to_owned(),
            };
            return Err(self.err_at(at, XmlErrorKind::DuplicateAttribute(name)));
        }
        let reserved = |reason: &'static str| XmlErrorKind::ReservedPrefix {
            prefix: key.to_owned(),
            reason,
        };
        let problem = match prefix {
            Some("xmlns") => Some(reserved("the xmlns prefix must not be declared")),
            Some("xml") if uri != XML_NAMESPACE => Some(reserved(
                "the xml prefix can only be bound to http://www.w3.org/XML/1998/namespace",
            )),
            Some("xml") => None,
            Some(p) if uri.is_empty() => Some(XmlErrorKind::EmptyPrefixBinding(p.to_owned())),
            _ if uri == XML_NAMESPACE => Some(reserved(
                "only the xml prefix can be bound to http://www.w3.org/XML/1998/namespace",
            )),
            _ if uri == XMLNS_NAMESPACE => Some(reserved(
                "nothing can be bound to the xmlns namespace http://www.w3.org/2000/xmlns/",
            )),
            _ => None,
        };
        if let Some(kind) = problem {
            return Err(self.err_at(at, kind));
        }
        self.bindings.push(Binding { prefix: key, uri });
        Ok(())
    }

    #[inline]
    fn resolve(&self, prefix: &str) -> Option<NsRef> {
        if prefix == "xml" {
            return Some(NsRef::Xml);
        }
        self.bindings
            .iter()
            .enumerate()
            .rev()
            .find(|(_, b)| same_bytes(b.prefix.as_bytes(), prefix.as_bytes()))
            .map(|(i, b)| {
                if b.uri.is_empty() {
                    NsRef::None
                } else {
                    NsRef::Binding(i)
                }
            })
    }

    #[inline]
    fn ns_str(&self, ns: NsRef) -> Option<&str> {
        match ns {
            NsRef::None => None,
            NsRef::Xml => Some(XML_NAMESPACE),
            NsRef::Binding(i) => self.bindings.get(i).map(|b| b.uri.as_ref()),
        }
    }

    fn resolve_attributes(&mut self) -> Result<(), XmlError> {
        for idx in 0..self.attrs.len() {
            let Some(attr) = self.attrs.get(idx) else {
                break;
            };
            let ns = match attr.name.prefix {
                None => NsRef::None,
                Some(p) => match self.resolve(p) {
                    Some(ns) => ns,
                    None => {
                        return Err(
                            self.err_at(attr.offset, XmlErrorKind::UndeclaredPrefix(p.to_owned()))
                        )
                    }
                },
            };
            let uri: Option<&'i str> = match ns {
                NsRef::None => None,
                NsRef::Xml => Some(XML_NAMESPACE),
                NsRef::Binding(i) => match self.bindings.get(i).map(|b| &b.uri) {
                    Some(Cow::Borrowed(s)) => Some(*s),
                    _ => {
                        self.attrs_need_rebuild = true;
                        None
                    }
                },
            };
            if let Some(attr) = self.attrs.get_mut(idx) {
                attr.name.namespace = uri;
            }
            self.attr_ns.push(ns);
        }
        Ok(())
    }

    /// Attributes must be unique by qualified name (XML 1.0) and by expanded name
    /// (Namespaces 1.0 §6.3). Reports the duplicate that comes first in the document.
    fn check_duplicate_attributes(&mut self) -> Result<(), XmlError> {
        let n = self.attrs.len();
        if n < 2 {
            return Ok(());
        }
        // Both keys contain the local name: without two equal local names there is no
        // duplicate (the common case, a few attributes with distinct names).
        if n <= 8 {
            let attrs = self.attrs.as_slice();
            let any_same_local = attrs.iter().enumerate().any(|(j, b)| {
                attrs.get(..j).is_some_and(|before| {
                    before
                        .iter()
                        .any(|a| same_bytes(a.name.local.as_bytes(), b.name.local.as_bytes()))
                })
            });
            if !any_same_local {
                return Ok(());
            }
        }
        let mut order = std::mem::take(&mut self.order_scratch);
        let attrs = &self.attrs;
        let by_qname = first_duplicate(&mut order, n, |i| {
            attrs.get(i).map(|a| (a.name.prefix, a.name.local))
        });
        let by_expanded = first_duplicate(&mut order, n, |i| {
            let a = attrs.get(i)?;
            let ns = self.ns_str(*self.attr_ns.get(i)?)?;
            Some((ns, a.name.local))
        });
        self.order_scratch = order;
        let qname_of = |i: usize| {
            self.attrs
                .get(i)
                .map(|a| a.name.to_string())
                .unwrap_or_default()
        };
        let offset_of = |i: usize| self.attrs.get(i).map_or(0, |a| a.offset);
        match (by_qname, by_expanded) {
            (Some((_, j)), other) if other.is_none_or(|(_, k)| j <= k) => {
                Err(self.err_at(offset_of(j), XmlErrorKind::DuplicateAttribute(qname_of(j))))
            }
            (_, Some((i, j))) => {
                let namespace = self.attr_ns.get(j).and_then(|&ns| self.ns_str(ns));
                let local = self.attrs.get(j).map_or("", |a| a.name.local);
                let expanded = format!("{{{}}}{local}", namespace.unwrap_or(""));
                Err(self.err_at(
                    offset_of(j),
                    XmlErrorKind::DuplicateExpandedName {
                        expanded,
                        first: qname_of(i),
                        second: qname_of(j),
                    },
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A valid ASCII qualified name at the start of `b` that ends where a name inside a tag ends
/// (whitespace, a tag delimiter or the end): its length and colon. `None` leaves the name to
/// the general path, which also reports what is wrong with it.
fn ascii_qname_in_tag(b: &[u8]) -> Option<(usize, Option<usize>)> {
    chars::ascii_qname(b).filter(|&(len, _)| {
        b.get(len)
            .is_none_or(|&c| is_whitespace(c) || is_tag_delimiter(c))
    })
}

/// `(prefix, local)` of a name already checked to be a QName with its colon at `colon`.
fn split_at_colon(name: &str, colon: Option<usize>) -> (Option<&str>, &str) {
    match colon.and_then(|c| Some((name.get(..c)?, name.get(c + 1..)?))) {
        Some((prefix, local)) => (Some(prefix), local),
        None => (None, name),
    }
}

/// Byte equality of two short strings (names, prefixes): whole eight-byte words (the last
/// one overlapping) or two overlapping four-byte words; for strings of a few to a few dozen
/// bytes a `memcmp` call or a byte loop costs more.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() >= 8 {
        let (mut x, mut y) = (a, b);
        while let (Some((p, x_rest)), Some((q, y_rest))) =
            (x.split_first_chunk::<8>(), y.split_first_chunk::<8>())
        {
            if p != q {
                return false;
            }
            x = x_rest;
            y = y_rest;
        }
        return a.last_chunk::<8>() == b.last_chunk::<8>();
    }
    if a.len() >= 4 {
        return a.first_chunk::<4>() == b.first_chunk::<4>()
            && a.last_chunk::<4>() == b.last_chunk::<4>();
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

fn all_whitespace(b: &[u8]) -> bool {
    b.iter().all(|&c| is_whitespace(c))
}

/// Bytes that end a name inside a tag.
fn is_tag_delimiter(b: u8) -> bool {
    matches!(b, b'=' | b'/' | b'<' | b'>' | b'"' | b'\'')
}

/// The pair `(first, second)` of indices with equal keys whose `second` comes earliest;
/// indices with no key take no part. Small inputs are compared pairwise, larger ones sorted.
fn first_duplicate<K: Ord>(
    order: &mut Vec<usize>,
    n: usize,
    key: impl Fn(usize) -> Option<K>,
) -> Option<(usize, usize)> {
    if n <= 8 {
        for j in 1..n {
            let Some(kj) = key(j) else { continue };
            for i in 0..j {
                if key(i).is_some_and(|ki| ki == kj) {
                    return Some((i, j));
                }
            }
        }
        return None;
    }
    order.clear();
    order.extend((0..n).filter(|&i| key(i).is_some()));
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    let mut best: Option<(usize, usize)> = None;
    for w in order.windows(2) {
        if let [a, b] = *w {
            if key(a) == key(b) && best.is_none_or(|(_, j)| b < j) {
                best = Some((a, b));
            }
        }
    }
    best
}

/// Length of the byte order mark at the start of `input`, and an error the document has from
/// its first bytes on (UTF-16, a second byte order mark).
fn document_start(input: &[u8]) -> (usize, Option<XmlErrorKind>) {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let bom_len = if input.starts_with(BOM) { BOM.len() } else { 0 };
    let doc = input.get(bom_len..).unwrap_or(&[]);
    let early = if input.starts_with(b"\xFE\xFF") || input.starts_with(b"\xFF\xFE") {
        Some(XmlErrorKind::UnsupportedEncoding("UTF-16".into()))
    } else if input.starts_with(b"\x00<\x00?") || input.starts_with(b"<\x00?\x00") {
        Some(XmlErrorKind::UnsupportedEncoding(
            "UTF-16 (without byte order mark)".into(),
        ))
    } else if bom_len > 0 && doc.starts_with(BOM) {
        // A second BOM is character data before the root.
        Some(XmlErrorKind::TextOutsideRoot)
    } else {
        None
    };
    (bom_len, early)
}

/// `doc` (without a character cut off at its end when more input follows), its longest
/// valid UTF-8 prefix, and where that prefix ends when it is not all of it.
fn checked_utf8(doc: &[u8], last: bool) -> (&[u8], &str, Option<usize>) {
    // SIMD UTF-8 check: std's is several instructions per byte on the non-ASCII text of
    // DIN 91379 names, and every document goes through here once.
    match simdutf8::compat::from_utf8(doc) {
        Ok(s) => (doc, s, None),
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = doc.get(..valid).unwrap_or(&[]);
            let text = std::str::from_utf8(prefix).unwrap_or("");
            if !last && e.error_len().is_none() {
                // A character split by the end of the window: the next window has all of it.
                (prefix, text, None)
            } else {
                (doc, text, Some(valid))
            }
        }
    }
}
