//! Byte offset to line/column, computed lazily and incrementally.
//!
//! Offsets asked for are almost always increasing, so the index keeps the last answer and only
//! scans the bytes since then: newlines with memchr, characters by counting non-continuation
//! bytes. The whole document is therefore scanned at most once, whatever the line lengths.

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
}

impl LineIndex {
    pub(super) fn new() -> Self {
        LineIndex {
            cursor: Cell::new(START),
        }
    }

    /// Position of the byte at `offset` in `doc` (clamped to its length).
    pub(super) fn position(&self, doc: &[u8], offset: usize) -> Position {
        let offset = offset.min(doc.len());
        let mut c = self.cursor.get();
        if offset < c.offset {
            c = backward(doc, c, offset);
        } else if offset > c.offset {
            c = forward(doc, c, offset);
        }
        self.cursor.set(c);
        Position {
            line: c.line,
            column: u32::try_from(c.column.saturating_add(1)).unwrap_or(u32::MAX),
        }
    }
}

/// A line break ends at `i`: LF (unless it completes CR LF, counted at the CR) or CR.
fn is_break(doc: &[u8], i: usize) -> bool {
    match doc.get(i) {
        Some(b'\r') => true,
        Some(b'\n') => i == 0 || doc.get(i - 1) != Some(&b'\r'),
        _ => false,
    }
}

fn forward(doc: &[u8], mut c: Cursor, offset: usize) -> Cursor {
    let span = doc.get(c.offset..offset).unwrap_or(&[]);
    let mut last_break = None;
    let mut breaks: u32 = 0;
    for i in memchr::memchr2_iter(b'\n', b'\r', span) {
        let at = c.offset + i;
        if is_break(doc, at) {
            breaks = breaks.saturating_add(1);
        }
        // A CR LF pair: the line starts after the LF either way.
        last_break = Some(at);
    }
    match last_break {
        Some(at) => {
            c.line = c.line.saturating_add(breaks);
            c.line_start = at + 1;
            c.column = count_chars(doc.get(c.line_start..offset).unwrap_or(&[]));
        }
        None => c.column += count_chars(span),
    }
    c.offset = offset;
    c
}

fn backward(doc: &[u8], c: Cursor, offset: usize) -> Cursor {
    let span = doc.get(offset..c.offset).unwrap_or(&[]);
    let breaks = memchr::memchr2_iter(b'\n', b'\r', span)
        .filter(|&i| is_break(doc, offset + i))
        .count();
    let line = c
        .line
        .saturating_sub(u32::try_from(breaks).unwrap_or(u32::MAX))
        .max(1);
    let before = doc.get(..offset).unwrap_or(&[]);
    let line_start = memchr::memrchr2(b'\n', b'\r', before).map_or(0, |i| i + 1);
    Cursor {
        offset,
        line,
        line_start,
        column: count_chars(doc.get(line_start..offset).unwrap_or(&[])),
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
}
