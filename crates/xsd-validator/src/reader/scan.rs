//! Finds where the next piece of markup or character data ends (the tokenizer).
//!
//! This only delimits: it tells what kind of construct starts at an offset and where it ends;
//! everything inside is checked by the reader. It replaced quick-xml's low-level reader, which
//! did the same job plus work the reader then repeated (see BENCHMARKS.md, "In-process
//! throughput"): with both, delimiting cost about as much as all the checks together.
//!
//! Every search is a memchr/memmem scan over the input; nothing is copied.

use memchr::memmem;

/// What starts at the scanned offset; the construct ends where [`scan`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    /// Character data up to the next `<` or `&` (or the end).
    Text,
    /// `&name;` or `&#...;`.
    Reference,
    /// `<name ...>` or `<name .../>`.
    StartTag,
    /// `</name ...>`.
    EndTag,
    /// `<!--...-->`.
    Comment,
    /// `<![CDATA[...]]>`.
    CData,
    /// `<?target ...?>` other than an XML declaration.
    ProcessingInstruction,
    /// `<?xml ...?>`.
    Declaration,
    /// `<!DOCTYPE` or `<!doctype` (refused by the reader; not delimited).
    Doctype,
    /// Nothing left.
    Eof,
}

/// A construct that is not closed or not recognized: its offset (the `<` or `&` that starts
/// it) and what is wrong, for an `XmlErrorKind::Syntax`. Not allocated here: a stream meets
/// unclosed constructs at the end of every window and usually reads on.
pub(super) type ScanError = (usize, &'static str);

fn syntax(at: usize, message: &'static str) -> ScanError {
    (at, message)
}

/// The kind of construct that starts at `at` and the offset just after it.
pub(super) fn scan(doc: &[u8], at: usize) -> Result<(Token, usize), ScanError> {
    let rest = doc.get(at..).unwrap_or(&[]);
    let Some(&first) = rest.first() else {
        return Ok((Token::Eof, at));
    };
    match first {
        b'<' => markup(doc, at, rest),
        b'&' => match memchr::memchr3(b';', b'&', b'<', rest.get(1..).unwrap_or(&[])) {
            Some(i) if rest.get(i + 1) == Some(&b';') => Ok((Token::Reference, at + i + 2)),
            _ => Err(syntax(
                at,
                "'&' must start a reference such as '&amp;' or '&#38;' ending with ';'",
            )),
        },
        _ => {
            let len = memchr::memchr2(b'<', b'&', rest).unwrap_or(rest.len());
            Ok((Token::Text, at + len))
        }
    }
}

fn markup(doc: &[u8], at: usize, rest: &[u8]) -> Result<(Token, usize), ScanError> {
    match rest.get(1) {
        Some(b'/') => match memchr::memchr(b'>', rest) {
            Some(i) => Ok((Token::EndTag, at + i + 1)),
            None => Err(syntax(at, "tag not closed; expected '>'")),
        },
        Some(b'?') => match memmem::find(rest.get(2..).unwrap_or(&[]), b"?>") {
            Some(i) => {
                let end = at + 2 + i + 2;
                let content = doc.get(at + 2..end - 2).unwrap_or(&[]);
                let is_declaration = content.starts_with(b"xml")
                    && content
                        .get(3)
                        .is_none_or(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
                if is_declaration {
                    Ok((Token::Declaration, end))
                } else {
                    Ok((Token::ProcessingInstruction, end))
                }
            }
            None => Err(syntax(
                at,
                "processing instruction not closed; expected '?>'",
            )),
        },
        Some(b'!') => match rest.get(2) {
            Some(b'-') => {
                if !rest.starts_with(b"<!--") {
                    return Err(syntax(
                        at,
                        "malformed or unclosed comment; expected '<!--' ... '-->'",
                    ));
                }
                match memmem::find(rest.get(4..).unwrap_or(&[]), b"-->") {
                    Some(i) => Ok((Token::Comment, at + 4 + i + 3)),
                    None => Err(syntax(
                        at,
                        "malformed or unclosed comment; expected '<!--' ... '-->'",
                    )),
                }
            }
            Some(b'[') => {
                let found = rest
                    .starts_with(b"<![CDATA[")
                    .then(|| memmem::find(rest.get(9..).unwrap_or(&[]), b"]]>"))
                    .flatten();
                match found {
                    Some(i) => Ok((Token::CData, at + 9 + i + 3)),
                    None => Err(syntax(
                        at,
                        "malformed or unclosed CDATA section; expected '<![CDATA[' ... ']]>'",
                    )),
                }
            }
            Some(b'D' | b'd') => Ok((Token::Doctype, at)),
            _ => Err(syntax(
                at,
                "unexpected '<!'; expected a comment '<!--' or a CDATA section '<![CDATA['",
            )),
        },
        _ => start_tag_end(rest)
            .map(|i| (Token::StartTag, at + i + 1))
            .map_err(|message| syntax(at, message)),
    }
}

/// Index of the `>` that closes the start tag at the beginning of `rest` (quotes respected).
fn start_tag_end(rest: &[u8]) -> Result<usize, &'static str> {
    let mut quote: Option<u8> = None;
    for i in memchr::memchr3_iter(b'>', b'\'', b'"', rest) {
        let b = rest.get(i).copied().unwrap_or(b'>');
        match (quote, b) {
            (None, b'>') => return Ok(i),
            (None, q) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    Err(match quote {
        None => "tag not closed; expected '>'",
        Some(b'\'') => "attribute value not closed; expected a closing \"'\"",
        Some(_) => "attribute value not closed; expected a closing '\"'",
    })
}
