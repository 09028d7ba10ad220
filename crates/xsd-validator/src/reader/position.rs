//! Byte offset to line/column, computed lazily and incrementally.
//!
//! Offsets asked for are almost always increasing, so the index keeps the last answer and only
//! scans the bytes since then: newlines with memchr, characters by counting non-continuation
//! bytes. The whole document is therefore scanned at most once, whatever the line lengths.
//!
//! A streaming reader sees the document one window at a time: before a window's consumed bytes
//! are discarded, [`LineIndex::rebase`] moves the cursor to the new window start and keeps the
//! column there (`floor_column`), so positions in later windows stay exact.

use std::cell::Cell;

use super::chars::count_chars;
use super::error::Position;

#[derive(Debug, Clone, Copy)]
struct Cursor {
    offset: usize,
    line: u32,
    line_start: usize,
    /// Characters between `line_start` and `offset`.
    column: usize,
}

const START: Cursor = Cursor {
    offset: 0,
    line: 1,
    line_start: 0,
    column: 0,
};

#[derive(Debug)]
pub(super) struct LineIndex {
    cursor: Cell<Cursor>,
    /// Characters between the start of the line and offset 0 of the current window (0 for a
    /// whole document).
    floor_column: usize,
    /// The byte before the window is a CR: an LF at offset 0 completes its CR LF.
    after_cr: bool,
}

impl LineIndex {
    pub(super) fn new() -> Self {
        LineIndex {
            cursor: Cell::new(START),
            floor_column: 0,
            after_cr: false,
        }
    }

    /// Makes `doc[consumed..]` the new window: offsets after this are relative to `consumed`.
    pub(super) fn rebase(&mut self, doc: &[u8], consumed: usize) {
        let mut c = self.cursor.get();
        if consumed < c.offset {
            c = backward(doc, c, consumed, self.floor_column, self.after_cr);
        } else if consumed > c.offset {
            c = forward(doc, c, consumed, self.after_cr);
        }
        if consumed > 0 {
            self.after_cr = doc.get(consumed - 1) == Some(&b'\r');
        }
        // Characters from the start of the line to the new window start.
        self.floor_column = c.column;
        self.cursor.set(Cursor {
            offset: 0,
            line: c.line,
            line_start: 0,
            column: self.floor_column,
        });
    }

    /// Position of the byte at `offset` in `doc` (clamped to its length).
    pub(super) fn position(&self, doc: &[u8], offset: usize) -> Position {
        let offset = offset.min(doc.len());
        let mut c = self.cursor.get();
        if offset < c.offset {
            c = backward(doc, c, offset, self.floor_column, self.after_cr);
        } else if offset > c.offset {
            c = forward(doc, c, offset, self.after_cr);
        }
        self.cursor.set(c);
        Position {
            line: c.line,
            column: u32::try_from(c.column.saturating_add(1)).unwrap_or(u32::MAX),
        }
    }
}

/// A line break ends at `i`: LF (unless it completes CR LF, counted at the CR) or CR.
/// `after_cr`: the byte before `doc` is a CR.
fn is_break(doc: &[u8], i: usize, after_cr: bool) -> bool {
    match doc.get(i) {
        Some(b'\r') => true,
        Some(b'\n') if i == 0 => !after_cr,
        Some(b'\n') => doc.get(i - 1) != Some(&b'\r'),
        _ => false,
    }
}

fn forward(doc: &[u8], mut c: Cursor, offset: usize, after_cr: bool) -> Cursor {
    let span = doc.get(c.offset..offset).unwrap_or(&[]);
    // A CR LF pair: the line starts after the LF either way.
    let Some(last) = memchr::memrchr2(b'\n', b'\r', span) else {
        c.column += count_chars(span);
        c.offset = offset;
        return c;
    };
    let breaks = if memchr::memchr(b'\r', span).is_none() {
        // LF only, the common case (a stream counts every window's lines): one pass that
        // compiles to vector code instead of a step per line. The first LF may complete a CR
        // LF whose CR is before the span.
        let lf = count_byte(span, b'\n');
        let before_is_cr = match c.offset.checked_sub(1) {
            Some(i) => doc.get(i) == Some(&b'\r'),
            None => after_cr,
        };
        lf - usize::from(before_is_cr && span.first() == Some(&b'\n'))
    } else {
        memchr::memchr2_iter(b'\n', b'\r', span)
            .filter(|&i| is_break(doc, c.offset + i, after_cr))
            .count()
    };
    c.line = c
        .line
        .saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
    c.line_start = c.offset + last + 1;
    c.column = count_chars(doc.get(c.line_start..offset).unwrap_or(&[]));
    c.offset = offset;
    c
}

/// How often `needle` occurs in `hay`. In blocks of 64 bytes with a byte-sized count, which
/// compiles to vector compares and adds (`filter().count()` stays a loop of a few
/// instructions per byte).
fn count_byte(hay: &[u8], needle: u8) -> usize {
    let mut blocks = hay.chunks_exact(64);
    let mut n = 0usize;
    for block in &mut blocks {
        let mut k = 0u8;
        for &b in block {
            k += u8::from(b == needle);
        }
        n += usize::from(k);
    }
    n + blocks.remainder().iter().filter(|&&b| b == needle).count()
}

fn backward(doc: &[u8], c: Cursor, offset: usize, floor_column: usize, after_cr: bool) -> Cursor {
    let span = doc.get(offset..c.offset).unwrap_or(&[]);
    let breaks = memchr::memchr2_iter(b'\n', b'\r', span)
        .filter(|&i| is_break(doc, offset + i, after_cr))
        .count();
    let line = c
        .line
        .saturating_sub(u32::try_from(breaks).unwrap_or(u32::MAX))
        .max(1);
    let before = doc.get(..offset).unwrap_or(&[]);
    let (line_start, column) = match memchr::memrchr2(b'\n', b'\r', before) {
        Some(i) => (i + 1, count_chars(doc.get(i + 1..offset).unwrap_or(&[]))),
        // The line started before this window (or is the first line).
        None => (0, floor_column + count_chars(before)),
    };
    Cursor {
        offset,
        line,
        line_start,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Position {
        Position { line, column }
    }

    #[test]
    fn forward_and_backward() {
        let doc = "ab\näö\r\nx\ry".as_bytes();
        let idx = LineIndex::new();
        assert_eq!(idx.position(doc, 0), pos(1, 1));
        assert_eq!(idx.position(doc, 1), pos(1, 2));
        assert_eq!(idx.position(doc, 3), pos(2, 1));
        assert_eq!(idx.position(doc, 5), pos(2, 2)); // 'ö'
        assert_eq!(idx.position(doc, 9), pos(3, 1)); // 'x' after CR LF
        assert_eq!(idx.position(doc, 11), pos(4, 1)); // 'y' after lone CR
        assert_eq!(idx.position(doc, 5), pos(2, 2));
        assert_eq!(idx.position(doc, 2), pos(1, 3));
        assert_eq!(idx.position(doc, 8), pos(3, 1)); // the LF of CR LF
        assert_eq!(idx.position(doc, 100), pos(4, 2));
        // Fresh index straight into the middle equals the incremental answer.
        assert_eq!(LineIndex::new().position(doc, 8), pos(3, 1));
        assert_eq!(LineIndex::new().position(doc, 7), pos(2, 3));
    }

    #[test]
    fn count_byte_counts() {
        let hay: Vec<u8> = (0..1000u32)
            .map(|i| if i % 7 == 0 { b'\n' } else { b'x' })
            .collect();
        for len in [0, 1, 63, 64, 65, 200, 1000] {
            let expected = hay[..len].iter().filter(|&&b| b == b'\n').count();
            assert_eq!(count_byte(&hay[..len], b'\n'), expected, "{len}");
        }
    }

    #[test]
    fn rebased_windows_count_like_the_whole_document() {
        // Every cut of a document with LF, CR LF and lone CR breaks and multi-byte characters:
        // positions in the second window equal those in the whole document.
        let doc = "ab\näö\r\nx\ry\n\nz€\r\n\rq".as_bytes();
        for cut in 0..=doc.len() {
            let whole = LineIndex::new();
            let mut windowed = LineIndex::new();
            // Something asked in the first window, as a reader would.
            let _ = windowed.position(doc, cut / 2);
            windowed.rebase(doc, cut);
            let rest = &doc[cut..];
            for at in (0..=rest.len()).rev().chain(0..=rest.len()) {
                assert_eq!(
                    windowed.position(rest, at),
                    whole.position(doc, cut + at),
                    "cut {cut}, offset {at}"
                );
            }
        }
    }
}
