//! Reading a document from an [`std::io::Read`] with memory bounded by nesting depth and the
//! largest token, not by the document's size.
//!
//! [`EventStream`] reads into a buffer and runs the one [`Reader`] over it window by window.
//! A window ends where its bytes do; the reader stops before a token it does not hold
//! completely (`Step::NeedMore`), without consuming any of it. The stream then:
//! - suspends the reader ([`Reader::suspend`]): what outlives the window (names of open
//!   elements and of counted siblings, namespace bindings) is copied into an arena string,
//!   pending text into the reader's text buffer, and the line index counts the consumed bytes;
//! - drops the consumed bytes, reads more (at least another window's worth), and resumes a
//!   reader over the new window ([`Reader::resume`]) whose state borrows from the arena.
//!
//! When a window holds no complete token at all, the buffer doubles; the reader refuses a token
//! longer than its [`Limits`] allow, so the buffer is bounded by them
//! ([`XmlErrorKind::TokenLimitExceeded`], or [`XmlErrorKind::TextLimitExceeded`] for text).
//!
//! **Invariant:** a window starts at markup (`<` or `&`) or after it (`>` or `;`), never inside
//! a line break, a character or a token; events, errors and positions are those of
//! [`Reader::from_slice`] over the whole document (tests run every reader test through both),
//! except that a stream refuses single tokens beyond its limits (see [`token_limit`]), and
//! that for a construct which is never closed and runs past [`Limits::max_total_bytes`] it
//! reports the size limit where a slice reader reports the unclosed construct.
//!
//! **Allocation:** the arena strings and vectors are reused from window to window (the vectors
//! of borrowed names change their lifetime in place, see `relabel`), so a steady state
//! allocates nothing per window or per element.

use std::borrow::Cow;
use std::cell::Cell;
use std::io::Read;
use std::ops::ControlFlow;

use super::position::LineIndex;
use super::{
    checked_utf8, document_start, Attribute, Binding, Event, Limits, NsRef, OpenElement, Pending,
    Phase, Position, Reader, Step, TextSource, XmlError, XmlErrorKind,
};

/// Bytes read at a time: the window a token normally has to fit in.
pub const DEFAULT_WINDOW_BYTES: usize = 64 << 10;

/// The first window holds at least this much (or the whole document), so that the byte order
/// mark and UTF-16 are recognized from the first bytes.
const FIRST_WINDOW_BYTES: usize = 8;

/// Reading the input failed (the document itself may be fine).
#[derive(Debug, thiserror::Error)]
#[error("reading the document failed after {offset} bytes: {source}")]
pub struct ReadError {
    /// Bytes read successfully before the failure.
    pub offset: u64,
    #[source]
    pub source: std::io::Error,
}

/// Why an [`EventStream`] stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The document is not well-formed (or broke a limit).
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The input could not be read.
    #[error(transparent)]
    Io(#[from] ReadError),
}

/// A document read from an [`std::io::Read`], reported event by event to a callback
/// ([`for_each_event`](Self::for_each_event)) with the same events, errors and positions as
/// [`Reader::from_slice`] over the whole document. Buffers itself: give it a plain `File`.
pub struct EventStream<R> {
    input: R,
    limits: Limits,
    window: usize,
}

impl<R: Read> EventStream<R> {
    pub fn new(input: R, limits: Limits) -> Self {
        EventStream {
            input,
            limits,
            window: DEFAULT_WINDOW_BYTES,
        }
    }

    /// A stream that reads `window` bytes at a time (at least 1): tests use tiny windows so
    /// that every token is cut at every place.
    pub fn with_window(input: R, limits: Limits, window: usize) -> Self {
        EventStream {
            input,
            limits,
            window: window.max(1),
        }
    }

    /// Calls `f` with the reader and each event, in document order, up to and including
    /// [`Event::Eof`], or until `f` breaks. Between events the reader answers the same
    /// queries as a slice reader ([`Reader::position`], [`Reader::element_path`],
    /// [`Reader::resolve_prefix`], ...). The first error ends the stream.
    pub fn for_each_event<F>(self, mut f: F) -> Result<(), StreamError>
    where
        F: FnMut(&Reader<'_>, Event<'_>) -> ControlFlow<()>,
    {
        self.drive_windows(&mut |reader| {
            window_events(reader, &mut f).map(|end| matches!(end, WindowEnd::Done))
        })
    }

    /// Runs `g` on the reader of each window in turn; `g` advances it with
    /// [`Reader::advance_in_window`] and returns `Ok(true)` when done (after [`Event::Eof`] or
    /// to stop early), `Ok(false)` when the window has no further event. The validator drives
    /// slices and streams through its own per-window loop this way, so that its per-event work
    /// is compiled once, next to it.
    pub(crate) fn drive_windows<G>(mut self, g: &mut G) -> Result<(), StreamError>
    where
        G: FnMut(&mut Reader<'_>) -> Result<bool, XmlError>,
    {
        let mut buffer = Buffer::default();
        let mut arena = String::new();
        let mut next_arena = String::new();
        let mut saved = Saved::new(self.limits);
        let mut target = self.window.max(FIRST_WINDOW_BYTES);
        loop {
            buffer.fill(&mut self.input, target)?;
            let mut reader = Reader::resume(buffer.filled(), &arena, saved, buffer.at_end);
            if g(&mut reader)? {
                return Ok(());
            }
            let consumed;
            (saved, consumed) = reader.suspend(&mut next_arena);
            std::mem::swap(&mut arena, &mut next_arena);
            buffer.discard(consumed);
            target = if consumed == 0 {
                // Not even one token fits: grow (the reader refuses tokens beyond the limits).
                target.saturating_mul(2)
            } else {
                buffer.len.saturating_add(self.window)
            };
        }
    }
}

/// How the events of a window ended.
enum WindowEnd {
    /// The window ends before the next event.
    NeedMore,
    /// After [`Event::Eof`], or the callback stopped.
    Done,
}

/// The event loop of [`EventStream::for_each_event`]: `f` on each event of the window.
fn window_events<F>(reader: &mut Reader<'_>, f: &mut F) -> Result<WindowEnd, XmlError>
where
    F: FnMut(&Reader<'_>, Event<'_>) -> ControlFlow<()>,
{
    loop {
        if !reader.step()? {
            return Ok(WindowEnd::NeedMore);
        }
        let eof = matches!(reader.current, Step::Eof);
        if f(reader, reader.current_event()).is_break() || eof {
            return Ok(WindowEnd::Done);
        }
    }
}

/// The bytes read and not yet consumed.
#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    len: usize,
    /// Bytes read in all, for the offset of a read error.
    total: u64,
    at_end: bool,
}

impl Buffer {
    fn filled(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Reads until `target` bytes are held or the input ends.
    fn fill(&mut self, input: &mut impl Read, target: usize) -> Result<(), ReadError> {
        if self.bytes.len() < target {
            self.bytes.resize(target, 0);
        }
        while self.len < target && !self.at_end {
            let Some(free) = self.bytes.get_mut(self.len..target) else {
                break;
            };
            match input.read(free) {
                Ok(0) => self.at_end = true,
                Ok(n) => {
                    self.len += n.min(free.len());
                    self.total += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(ReadError {
                        offset: self.total,
                        source,
                    })
                }
            }
        }
        Ok(())
    }

    fn discard(&mut self, consumed: usize) {
        let consumed = consumed.min(self.len);
        self.bytes.copy_within(consumed..self.len, 0);
        self.len -= consumed;
    }
}

/// The reader's state between two windows: everything that borrowed from the window is an
/// offset into the arena.
pub(super) struct Saved {
    started: bool,
    base: usize,
    bom_len: usize,
    limits: Limits,
    lines: LineIndex,
    phase: Phase,
    pending: Pending,
    spare: Spare,
    attr_ns: Vec<NsRef>,
    string_pool: Vec<String>,
    order_scratch: Vec<usize>,
    text_buf: String,
    text_pending: bool,
    text_carried: Option<(Position, usize)>,
    failed: Option<XmlError>,
    skip_blank_text: u64,
    /// The allocations of the reader's vectors of borrowed names, kept empty.
    element_store: Vec<OpenElement<'static>>,
    sibling_store: Vec<(&'static str, u32)>,
    binding_store: Vec<Binding<'static>>,
    attribute_store: Vec<Attribute<'static>>,
}

/// Open elements, counted siblings and bindings as offsets into the arena. Between windows
/// they are the state; during a window the reader keeps the (empty) vectors for the next
/// suspend.
#[derive(Default)]
pub(super) struct Spare {
    /// Qualified name (offset, length), the prefix's length, and the rest as is.
    elements: Vec<SavedElement>,
    /// Name (offset, length) and count.
    siblings: Vec<(usize, usize, u32)>,
    /// Prefix and URI (offset, length each).
    bindings: Vec<(usize, usize, usize, usize)>,
    /// Bytes before the window's document: the byte order mark, in the first window.
    skipped: usize,
}

struct SavedElement {
    qname: (usize, usize),
    prefix_len: Option<usize>,
    ns: NsRef,
    bindings_mark: usize,
    children_mark: usize,
    index: u32,
}

impl Saved {
    fn new(limits: Limits) -> Self {
        Saved {
            started: false,
            base: 0,
            bom_len: 0,
            limits,
            lines: LineIndex::new(),
            phase: Phase::Prolog,
            pending: Pending::None,
            spare: Spare::default(),
            attr_ns: Vec::new(),
            string_pool: Vec::new(),
            order_scratch: Vec::new(),
            text_buf: String::new(),
            text_pending: false,
            text_carried: None,
            failed: None,
            skip_blank_text: 0,
            element_store: Vec::new(),
            sibling_store: Vec::new(),
            binding_store: Vec::new(),
            attribute_store: Vec::new(),
        }
    }
}

/// An empty vector with the allocation of `v`, for elements of another lifetime (the same
/// layout): std collects a `vec::IntoIter` through `filter_map` in place.
fn relabel<T, U>(v: Vec<T>) -> Vec<U> {
    v.into_iter().filter_map(|_| None).collect()
}

fn span(arena: &str, (at, len): (usize, usize)) -> &str {
    arena.get(at..at + len).unwrap_or("")
}

fn store(arena: &mut String, s: &str) -> (usize, usize) {
    let at = arena.len();
    arena.push_str(s);
    (at, s.len())
}

impl<'w> Reader<'w> {
    /// A reader over the next window of a stream: `input` is the unconsumed input (the first
    /// window starts at the document's first byte), `arena` what [`suspend`](Self::suspend)
    /// wrote, `last` whether the input ends with `input`.
    fn resume(input: &'w [u8], arena: &'w str, mut saved: Saved, last: bool) -> Self {
        let mut early = None;
        let mut skip = 0;
        if !saved.started {
            saved.started = true;
            let (bom_len, kind) = document_start(input);
            saved.bom_len = bom_len;
            skip = bom_len;
            early = kind;
        }
        saved.spare.skipped = skip;
        let doc = input.get(skip..).unwrap_or(&[]);
        let (doc, text, utf8_error_at) = checked_utf8(doc, last);
        let mut elements: Vec<OpenElement<'w>> = relabel(saved.element_store);
        elements.extend(saved.spare.elements.iter().map(|e| {
            let qname = span(arena, e.qname);
            let (prefix, local) = match e.prefix_len {
                Some(p) => (qname.get(..p), qname.get(p + 1..).unwrap_or("")),
                None => (None, qname),
            };
            OpenElement {
                qname,
                prefix,
                local,
                ns: e.ns,
                bindings_mark: e.bindings_mark,
                children_mark: e.children_mark,
                index: e.index,
            }
        }));
        let mut siblings: Vec<(&'w str, u32)> = relabel(saved.sibling_store);
        siblings.extend(
            saved
                .spare
                .siblings
                .iter()
                .map(|&(at, len, n)| (span(arena, (at, len)), n)),
        );
        let mut bindings: Vec<Binding<'w>> = relabel(saved.binding_store);
        bindings.extend(
            saved
                .spare
                .bindings
                .iter()
                .map(|&(pa, pl, ua, ul)| Binding {
                    prefix: span(arena, (pa, pl)),
                    uri: Cow::Borrowed(span(arena, (ua, ul))),
                }),
        );
        let failed = saved.failed.or_else(|| {
            early.map(|kind| XmlError {
                kind,
                position: Position::default(),
                element_path: String::new(),
            })
        });
        Reader {
            doc,
            base: saved.base,
            shift: saved.base + saved.bom_len,
            fast_text_end: if last {
                text.len()
            } else {
                text.len().min(doc.len().saturating_sub(1))
            },
            last,
            stable: arena.as_bytes(),
            bounded_tokens: true,
            text_carried: saved.text_carried,
            text,
            utf8_error_at,
            bom_len: saved.bom_len,
            pos: 0,
            limits: saved.limits,
            lines: saved.lines,
            event_offset: 0,
            event_position: Cell::new(None),
            phase: saved.phase,
            pending: if saved.text_pending {
                Pending::CarriedText
            } else {
                saved.pending
            },
            elements,
            siblings,
            bindings,
            attrs: relabel(saved.attribute_store),
            attr_ns: saved.attr_ns,
            attrs_need_rebuild: false,
            string_pool: saved.string_pool,
            order_scratch: saved.order_scratch,
            text_buf: saved.text_buf,
            text_acc: saved.text_pending.then_some(TextSource::Buffer),
            text_start: 0,
            failed,
            current: Step::Eof,
            fused_steps: false,
            fused_end_offset: 0,
            skip_blank_text: saved.skip_blank_text,
            spare: saved.spare,
        }
    }

    /// Ends the window where the reader stopped: returns the state for the next window (names
    /// copied into `arena`, which is cleared first) and how many bytes of the window's input
    /// were consumed.
    fn suspend(mut self, arena: &mut String) -> (Saved, usize) {
        let consumed = self.pos;
        if let Some(source) = self.text_acc {
            if self.text_carried.is_none() {
                let position = self.lines.position(self.doc, self.text_start);
                self.text_carried = Some((position, self.base + self.text_start));
            }
            if let TextSource::Input(a, b) = source {
                let piece = self.text.get(a..b).unwrap_or("");
                self.text_buf.clear();
                self.text_buf.push_str(piece);
            }
        }
        self.recycle_attributes();
        self.lines.rebase(self.doc, consumed);
        arena.clear();
        let mut spare = std::mem::take(&mut self.spare);
        let skipped = spare.skipped;
        spare.elements.clear();
        spare.elements.extend(self.elements.iter().map(|e| {
            let prefix_len = e.prefix.map(str::len);
            SavedElement {
                qname: store(arena, e.qname),
                prefix_len,
                ns: e.ns,
                bindings_mark: e.bindings_mark,
                children_mark: e.children_mark,
                index: e.index,
            }
        }));
        spare.siblings.clear();
        spare
            .siblings
            .extend(self.siblings.iter().map(|&(name, n)| {
                let (at, len) = store(arena, name);
                (at, len, n)
            }));
        spare.bindings.clear();
        for b in self.bindings.drain(..) {
            let (pa, pl) = store(arena, b.prefix);
            let (ua, ul) = store(arena, &b.uri);
            spare.bindings.push((pa, pl, ua, ul));
            if let Cow::Owned(mut s) = b.uri {
                s.clear();
                self.string_pool.push(s);
            }
        }
        self.elements.clear();
        self.siblings.clear();
        let saved = Saved {
            started: true,
            base: self.base + consumed,
            bom_len: self.bom_len,
            limits: self.limits,
            lines: self.lines,
            phase: self.phase,
            // Carried text is `text_pending` (and becomes `CarriedText` again on resume).
            pending: match self.pending {
                Pending::CarriedText => Pending::None,
                other => other,
            },
            spare,
            attr_ns: self.attr_ns,
            string_pool: self.string_pool,
            order_scratch: self.order_scratch,
            text_buf: self.text_buf,
            text_pending: self.text_acc.is_some(),
            text_carried: self.text_carried,
            failed: self.failed,
            skip_blank_text: self.skip_blank_text,
            element_store: relabel(self.elements),
            sibling_store: relabel(self.siblings),
            binding_store: relabel(self.bindings),
            attribute_store: relabel(self.attrs),
        };
        // The first window's byte order mark was consumed too.
        (saved, consumed + skipped)
    }
}

/// Whether the markup or reference at the start of `rest`, which the tokenizer could not
/// delimit within the window, may still be completed by more input (otherwise the tokenizer's
/// error stands as it is).
pub(super) fn may_continue(rest: &[u8]) -> bool {
    let could_be = |construct: &[u8]| rest.starts_with(construct) || construct.starts_with(rest);
    match rest {
        // Not closed before another `&` or `<`: that stays so.
        [b'&', tail @ ..] => memchr::memchr2(b'&', b'<', tail).is_none(),
        [b'<', b'!', ..] => could_be(b"<!--") || could_be(b"<![CDATA[") || rest.len() < 3,
        // An unclosed tag or processing instruction.
        _ => true,
    }
}

/// The longest the token at the start of `rest` may be before a stream refuses it, and the
/// error it gets. Text and CDATA sections are bounded by [`Limits::max_text_bytes`] (see
/// `Reader::need_more`); a start tag by its name, attributes and their values; a reference
/// by the name limit; comments, processing instructions, the XML declaration and end tags
/// by the text limit plus a name. A slice reader has no such bound for comments, processing
/// instructions and whitespace in tags: that is where the two can differ (a stream checks
/// these whether or not a window cuts them, so its verdict does not depend on the window).
pub(super) fn token_limit(rest: &[u8], limits: &Limits) -> (usize, XmlErrorKind) {
    const SLACK: usize = 16;
    match rest {
        [b'&', ..] => {
            let limit = limits.max_name_bytes;
            (limit.saturating_add(2), XmlErrorKind::NameTooLong { limit })
        }
        [b'<', b'!' | b'?' | b'/', ..] => {
            let limit = limits
                .max_text_bytes
                .saturating_add(limits.max_name_bytes)
                .saturating_add(SLACK);
            (limit, XmlErrorKind::TokenLimitExceeded { limit })
        }
        _ => {
            // `<name` and per attribute ` name="value"`.
            let attribute = limits
                .max_name_bytes
                .saturating_add(limits.max_text_bytes)
                .saturating_add(SLACK);
            let limit = limits
                .max_attributes
                .saturating_mul(attribute)
                .saturating_add(limits.max_name_bytes)
                .saturating_add(SLACK);
            (limit, XmlErrorKind::TokenLimitExceeded { limit })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relabel_keeps_the_allocation() {
        let mut v: Vec<(&'static str, u32)> = Vec::with_capacity(100);
        v.push(("a", 1));
        let at = v.as_ptr() as usize;
        let w: Vec<(&str, u32)> = relabel(v);
        assert!(w.is_empty());
        assert_eq!(w.capacity(), 100);
        assert_eq!(w.as_ptr() as usize, at);
        let mut e: Vec<OpenElement<'static>> = Vec::with_capacity(10);
        let at = e.as_ptr() as usize;
        e.clear();
        let f: Vec<OpenElement<'_>> = relabel(e);
        assert_eq!((f.capacity(), f.as_ptr() as usize), (10, at));
    }
}
