//! Character classes of XML 1.0 (fifth edition) and Namespaces 1.0, and the scans that check and
//! normalize character data, attribute values and references.
//!
//! All scans work on `&str` that is already valid UTF-8, so only the code points UTF-8 can
//! express but XML forbids remain to be found: C0 controls other than tab, LF and CR, and
//! U+FFFE / U+FFFF. Surrogates cannot occur in valid UTF-8.

/// `Char` production.
pub(super) const fn is_xml_char(cp: u32) -> bool {
    matches!(cp, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// `S` production.
pub(super) const fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `NameStartChar` without `:`.
fn is_ncname_start(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '_';
    }
    matches!(c,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar` without `:`.
fn is_ncname_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    }
    is_ncname_start(c) || matches!(c, '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

const NAME_NO: u8 = 0;
const NAME_START: u8 = 1;
const NAME_MORE: u8 = 2;
const NAME_NON_ASCII: u8 = 3;

/// Byte classes for NCNames: ASCII bytes that may start or only continue a name, and the
/// bytes of non-ASCII characters (decided by the char-based path).
const NAME_CLASS: [u8; 256] = {
    let mut t = [NAME_NON_ASCII; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'_' {
            NAME_START
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            NAME_MORE
        } else {
            NAME_NO
        };
        c += 1;
    }
    t
};

/// `NCName` production (a name without colons).
pub(super) fn is_ncname(s: &str) -> bool {
    // Names are nearly always ASCII: one table lookup per byte, no char decoding.
    let b = s.as_bytes();
    match b.first().map(|&c| NAME_CLASS[usize::from(c)]) {
        None => return false,
        Some(NAME_START) => {}
        Some(NAME_NON_ASCII) => return is_ncname_chars(s),
        Some(_) => return false,
    }
    for &c in b {
        match NAME_CLASS[usize::from(c)] {
            NAME_START | NAME_MORE => {}
            NAME_NON_ASCII => return is_ncname_chars(s),
            _ => return false,
        }
    }
    true
}

fn is_ncname_chars(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_ncname_start(c) => chars.all(is_ncname_char),
        _ => false,
    }
}

/// `Name` production (colons allowed anywhere).
pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == ':' || is_ncname_start(c) => chars.all(|c| c == ':' || is_ncname_char(c)),
        _ => false,
    }
}

/// Why a qualified name is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QNameProblem {
    /// Not even an XML `Name`.
    NotAName,
    /// A `Name`, but not `NCName` or `NCName:NCName`.
    NotAQName,
}

/// Splits `prefix:local` and checks both parts are NCNames.
pub(super) fn split_qname(s: &str) -> Result<(Option<&str>, &str), QNameProblem> {
    let split = s
        .bytes()
        .position(|b| b == b':')
        .and_then(|i| Some((s.get(..i)?, s.get(i + 1..)?)));
    match split {
        None if is_ncname(s) => Ok((None, s)),
        Some((prefix, local)) if is_ncname(prefix) && is_ncname(local) => Ok((Some(prefix), local)),
        _ if is_name(s) => Err(QNameProblem::NotAQName),
        _ => Err(QNameProblem::NotAName),
    }
}

/// The qualified name at the start of `b` when it is all ASCII and valid: its length and
/// the index of its colon. One table lookup per byte; `None` (decide with [`split_qname`])
/// for anything else, including names that do not end at a byte that cannot be part of a
/// name.
pub(super) fn ascii_qname(b: &[u8]) -> Option<(usize, Option<usize>)> {
    if NAME_CLASS[usize::from(*b.first()?)] != NAME_START {
        return None;
    }
    let mut colon = None;
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match NAME_CLASS[usize::from(c)] {
            NAME_START | NAME_MORE => {}
            NAME_NON_ASCII => return None,
            _ if c == b':' => {
                // One colon, followed by a name start character.
                if colon.is_some()
                    || b.get(i + 1)
                        .is_none_or(|&n| NAME_CLASS[usize::from(n)] != NAME_START)
                {
                    return None;
                }
                colon = Some(i);
            }
            _ => break,
        }
        i += 1;
    }
    Some((i, colon))
}

/// A character-level problem found by a scan, at a byte offset into the scanned string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CharIssue {
    Illegal {
        at: usize,
        code_point: u32,
    },
    /// `]]>` in character data.
    CdataEnd {
        at: usize,
    },
    /// `<` in an attribute value.
    LessThan {
        at: usize,
    },
    /// A bad reference in an attribute value (the `&` is at `at`).
    Reference {
        at: usize,
        problem: ReferenceProblem,
    },
}

const PLAIN: u8 = 0;
const CONTROL: u8 = 1;
const CR: u8 = 2;
const LEAD_EF: u8 = 3;
const GT: u8 = 4;
const WS: u8 = 5;
const AMP: u8 = 6;
const LT: u8 = 7;

/// Byte classes for character data: every byte not `PLAIN` needs a closer look. Tab and LF
/// are plain there, so indentation stays on the fast path.
const TEXT_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = CONTROL;
        i += 1;
    }
    t[b'\t' as usize] = PLAIN;
    t[b'\n' as usize] = PLAIN;
    t[b'\r' as usize] = CR;
    t[0xEF] = LEAD_EF;
    t[b'>' as usize] = GT;
    t
};

/// Byte classes for attribute values: whitespace, `&` and `<` all need work.
const ATTR_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = CONTROL;
        i += 1;
    }
    t[b'\t' as usize] = WS;
    t[b'\n' as usize] = WS;
    t[b'\r' as usize] = WS;
    t[0xEF] = LEAD_EF;
    t[b'&' as usize] = AMP;
    t[b'<' as usize] = LT;
    t
};

/// U+FFFE and U+FFFF are `EF BF BE` and `EF BF BF`; other `EF` sequences are legal.
fn noncharacter_at(b: &[u8], i: usize) -> Option<u32> {
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(0xBF), Some(0xBE)) => Some(0xFFFE),
        (Some(0xBF), Some(0xBF)) => Some(0xFFFF),
        _ => None,
    }
}

/// Checks character data (text or CDATA content, comments, PIs). Returns whether it contains a
/// CR, which line-end normalization must replace. `forbid_cdata_end` rejects `]]>` (text only).
pub(super) fn check_text(s: &str, forbid_cdata_end: bool) -> Result<bool, CharIssue> {
    let b = s.as_bytes();
    let mut has_cr = false;
    for (i, &byte) in b.iter().enumerate() {
        match TEXT_CLASS[usize::from(byte)] {
            PLAIN => {}
            CONTROL => {
                return Err(CharIssue::Illegal {
                    at: i,
                    code_point: u32::from(byte),
                })
            }
            CR => has_cr = true,
            LEAD_EF => {
                if let Some(code_point) = noncharacter_at(b, i) {
                    return Err(CharIssue::Illegal { at: i, code_point });
                }
            }
            _ => {
                // GT: only `]]>` is a problem.
                if forbid_cdata_end && i >= 2 && b.get(i - 2..i) == Some(b"]]") {
                    return Err(CharIssue::CdataEnd { at: i - 2 });
                }
            }
        }
    }
    Ok(has_cr)
}

const STOP: u8 = 8;

/// [`TEXT_CLASS`] with the bytes that end character data in content.
const CONTENT_CLASS: [u8; 256] = {
    let mut t = TEXT_CLASS;
    t[b'<' as usize] = STOP;
    t[b'&' as usize] = STOP;
    t
};

/// Character data at the start of `b` up to the first `<` or `&` (or the end), delimited and
/// checked in one pass: its length and whether it contains a CR. `None` when it has a
/// problem that [`check_text`] (with `]]>` forbidden) would report.
pub(super) fn scan_text(b: &[u8]) -> Option<(usize, bool)> {
    let mut has_cr = false;
    let mut i = 0;
    loop {
        // Plain bytes in a tight loop of their own: in one `match` with the rest, each byte
        // went through the jump table.
        while b
            .get(i)
            .is_some_and(|&c| CONTENT_CLASS[usize::from(c)] == PLAIN)
        {
            i += 1;
        }
        let Some(&byte) = b.get(i) else {
            return Some((b.len(), has_cr));
        };
        match CONTENT_CLASS[usize::from(byte)] {
            STOP => return Some((i, has_cr)),
            CR => has_cr = true,
            LEAD_EF => {
                if noncharacter_at(b, i).is_some() {
                    return None;
                }
            }
            GT => {
                if i >= 2 && b.get(i - 2..i) == Some(b"]]") {
                    return None;
                }
            }
            _ => return None, // CONTROL
        }
        i += 1;
    }
}

/// Appends `s` with CR LF and lone CR replaced by LF (XML 1.0 §2.11).
pub(super) fn push_normalized_line_ends(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(p) = rest.find('\r') {
        let (before, after) = rest.split_at(p);
        out.push_str(before);
        out.push('\n');
        // `after` starts with the CR (one byte); drop it and a following LF.
        let after = after.get(1..).unwrap_or("");
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(rest);
}

/// Whether an attribute value must be rewritten, after checking its characters.
/// Reference syntax is checked by [`normalize_attribute_value`].
pub(super) fn check_attribute_value(s: &str) -> Result<bool, CharIssue> {
    let b = s.as_bytes();
    let mut needs_copy = false;
    let mut i = 0;
    loop {
        // Plain bytes in a tight loop of their own (as in `scan_text`).
        while b
            .get(i)
            .is_some_and(|&c| ATTR_CLASS[usize::from(c)] == PLAIN)
        {
            i += 1;
        }
        let Some(&byte) = b.get(i) else {
            return Ok(needs_copy);
        };
        match ATTR_CLASS[usize::from(byte)] {
            CONTROL => {
                return Err(CharIssue::Illegal {
                    at: i,
                    code_point: u32::from(byte),
                })
            }
            LEAD_EF => {
                if let Some(code_point) = noncharacter_at(b, i) {
                    return Err(CharIssue::Illegal { at: i, code_point });
                }
            }
            LT => return Err(CharIssue::LessThan { at: i }),
            _ => needs_copy = true, // WS or AMP
        }
        i += 1;
    }
}

/// [`ATTR_CLASS`] with the closing quote as a stop, one table per quote.
const ATTR_CLASS_DQ: [u8; 256] = {
    let mut t = ATTR_CLASS;
    t[b'"' as usize] = STOP;
    t
};
const ATTR_CLASS_SQ: [u8; 256] = {
    let mut t = ATTR_CLASS;
    t[b'\'' as usize] = STOP;
    t
};

/// An attribute value at the start of `b` up to the closing `quote`, delimited and checked in
/// one pass: its length when it needs no rewriting and has no character problem. `None` for
/// anything else (whitespace other than spaces, references, `<`, an illegal character, no
/// closing quote): [`check_attribute_value`] then decides.
#[inline]
pub(super) fn plain_attribute_value(b: &[u8], quote: u8) -> Option<usize> {
    let class = if quote == b'"' {
        &ATTR_CLASS_DQ
    } else {
        &ATTR_CLASS_SQ
    };
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|&c| class[usize::from(c)] == PLAIN) {
            i += 1;
        }
        match class[usize::from(*b.get(i)?)] {
            STOP => return Some(i),
            LEAD_EF if noncharacter_at(b, i).is_none() => {}
            _ => return None,
        }
        i += 1;
    }
}

/// Normalizes a CDATA-type attribute value (XML 1.0 §3.3.3): references resolved, each
/// literal tab, LF, CR and CR LF becomes one space. Characters must already be checked.
pub(super) fn normalize_attribute_value(s: &str, out: &mut String) -> Result<(), CharIssue> {
    let b = s.as_bytes();
    let mut seg = 0;
    let mut i = 0;
    // Every split point is at an ASCII byte, so all slices below are on char boundaries.
    while let Some(&byte) = b.get(i) {
        match byte {
            b'\t' | b'\n' | b'\r' => {
                out.push_str(s.get(seg..i).unwrap_or(""));
                out.push(' ');
                i += 1;
                if byte == b'\r' && b.get(i) == Some(&b'\n') {
                    i += 1;
                }
                seg = i;
            }
            b'&' => {
                out.push_str(s.get(seg..i).unwrap_or(""));
                let body = s.get(i + 1..).unwrap_or("");
                let Some(len) = body.find(';') else {
                    return Err(CharIssue::Reference {
                        at: i,
                        problem: ReferenceProblem::Unterminated,
                    });
                };
                let name = body.get(..len).unwrap_or("");
                let c = resolve_reference(name)
                    .map_err(|problem| CharIssue::Reference { at: i, problem })?;
                out.push(c);
                i += len + 2;
                seg = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(s.get(seg..).unwrap_or(""));
    Ok(())
}

/// Why a `&...;` reference cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ReferenceProblem {
    /// No `;` before the end of the text or value.
    Unterminated,
    /// `&#...;` with bad digits or out of range.
    MalformedCharRef(String),
    /// A character reference to a code point that is not a legal `Char`.
    IllegalChar(u32),
    /// A well-formed name that is not one of the five predefined entities.
    UnknownEntity(String),
    /// Not a name at all.
    InvalidName(String),
}

/// Resolves the body of a reference (between `&` and `;`) to its character.
pub(super) fn resolve_reference(name: &str) -> Result<char, ReferenceProblem> {
    if let Some(num) = name.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let malformed = || ReferenceProblem::MalformedCharRef(name.to_owned());
        if digits.is_empty() {
            return Err(malformed());
        }
        let mut value: u32 = 0;
        for c in digits.chars() {
            let d = c.to_digit(radix).ok_or_else(malformed)?;
            // Anything above 0x10FFFF is illegal; saturating keeps the value out of range.
            value = value
                .saturating_mul(radix)
                .saturating_add(d)
                .min(0x0011_0000);
        }
        if !is_xml_char(value) {
            return Err(ReferenceProblem::IllegalChar(value));
        }
        return char::from_u32(value).ok_or(ReferenceProblem::IllegalChar(value));
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ if is_name(name) => Err(ReferenceProblem::UnknownEntity(name.to_owned())),
        _ => Err(ReferenceProblem::InvalidName(name.to_owned())),
    }
}

/// Number of characters in `b` (UTF-8 bytes that are not continuation bytes).
pub(super) fn count_chars(b: &[u8]) -> usize {
    b.iter().filter(|&&x| (x as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_scan_matches_a_byte_by_byte_reference() {
        // Every special byte at every offset of a 20-byte run.
        for special in [b'<', b'&', b'>', b'\r', b'\n', 0x01, 0xEF] {
            for at in 0..20 {
                let mut text = b"abcdefghij]]klmnopqr".to_vec();
                text[at] = special;
                let expected = {
                    let mut has_cr = false;
                    let mut result = Some((text.len(), false));
                    for (i, &byte) in text.iter().enumerate() {
                        match byte {
                            b'<' | b'&' => {
                                result = Some((i, has_cr));
                                break;
                            }
                            b'\r' => has_cr = true,
                            b'>' if i >= 2 && &text[i - 2..i] == b"]]" => {
                                result = None;
                                break;
                            }
                            0xEF if noncharacter_at(&text, i).is_some() => {
                                result = None;
                                break;
                            }
                            0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F => {
                                result = None;
                                break;
                            }
                            _ => {}
                        }
                        result = Some((text.len(), has_cr));
                    }
                    result
                };
                assert_eq!(scan_text(&text), expected, "{special:#x} at {at}");
            }
        }
    }

    #[test]
    fn names() {
        assert!(is_ncname("a"));
        assert!(is_ncname("_a-b.c9"));
        assert!(is_ncname("Straße"));
        assert!(is_ncname("名前"));
        assert!(!is_ncname(""));
        assert!(!is_ncname("9a"));
        assert!(!is_ncname("-a"));
        assert!(!is_ncname("a:b"));
        assert!(!is_ncname("a b"));
        assert!(!is_ncname("a\u{D7}"));
        assert!(is_name(":a:b"));
        assert!(!is_name("1a"));
        assert_eq!(split_qname("p:a"), Ok((Some("p"), "a")));
        assert_eq!(split_qname("a"), Ok((None, "a")));
        assert_eq!(split_qname("a:b:c"), Err(QNameProblem::NotAQName));
        assert_eq!(split_qname(":a"), Err(QNameProblem::NotAQName));
        assert_eq!(split_qname("a:"), Err(QNameProblem::NotAQName));
        assert_eq!(split_qname("a:1"), Err(QNameProblem::NotAQName));
        assert_eq!(split_qname("a b"), Err(QNameProblem::NotAName));
        assert_eq!(split_qname("1a"), Err(QNameProblem::NotAName));
    }

    #[test]
    fn text_checks() {
        assert_eq!(check_text("a\tb\nc", true), Ok(false));
        assert_eq!(check_text("a\r\nb", true), Ok(true));
        assert_eq!(
            check_text("ab\u{1}", true),
            Err(CharIssue::Illegal {
                at: 2,
                code_point: 1
            })
        );
        assert_eq!(
            check_text("x\u{FFFF}", true),
            Err(CharIssue::Illegal {
                at: 1,
                code_point: 0xFFFF
            })
        );
        assert_eq!(check_text("\u{FFFD}\u{F000}", true), Ok(false));
        assert_eq!(check_text("a]]>", true), Err(CharIssue::CdataEnd { at: 1 }));
        assert_eq!(check_text("a]]>", false), Ok(false));
        assert_eq!(check_text("a] ]>", true), Ok(false));
        let mut out = String::new();
        push_normalized_line_ends(&mut out, "a\r\nb\rc\n\r");
        assert_eq!(out, "a\nb\nc\n\n");
    }

    #[test]
    fn attribute_values() {
        assert_eq!(check_attribute_value("plain"), Ok(false));
        assert_eq!(check_attribute_value("a&amp;"), Ok(true));
        assert_eq!(
            check_attribute_value("a<"),
            Err(CharIssue::LessThan { at: 1 })
        );
        let mut out = String::new();
        normalize_attribute_value("a\tb\r\nc\rd\ne&#10;&lt;&#x9;", &mut out).unwrap();
        assert_eq!(out, "a b c d e\n<\t");
        out.clear();
        assert_eq!(
            normalize_attribute_value("a&b", &mut out),
            Err(CharIssue::Reference {
                at: 1,
                problem: ReferenceProblem::Unterminated
            })
        );
    }

    /// Every kind of byte at every place in a value, after and before plain runs: the
    /// first problem is found where it is, a needed copy is always seen.
    #[test]
    fn attribute_value_problems_at_every_offset() {
        type Expected = Result<bool, fn(usize) -> CharIssue>;
        let cases: [(&str, Expected); 6] = [
            ("\u{1}", Err(|at| CharIssue::Illegal { at, code_point: 1 })),
            (
                "\u{FFFE}",
                Err(|at| CharIssue::Illegal {
                    at,
                    code_point: 0xFFFE,
                }),
            ),
            ("<", Err(|at| CharIssue::LessThan { at })),
            ("&", Ok(true)),
            ("\t", Ok(true)),
            ("\u{FEFF}", Ok(false)),
        ];
        for (special, expected) in cases {
            for at in 0..=12 {
                let value = format!("{}{special}{}", "ä".repeat(at / 2), "x".repeat(at % 2 + 3));
                let at = value.find(special).unwrap();
                let expected = expected.map_err(|issue| issue(at));
                assert_eq!(check_attribute_value(&value), expected, "{value:?}");
            }
        }
    }

    #[test]
    fn references() {
        assert_eq!(resolve_reference("#65"), Ok('A'));
        assert_eq!(resolve_reference("#x41"), Ok('A'));
        assert_eq!(resolve_reference("#x1F600"), Ok('😀'));
        assert_eq!(
            resolve_reference("#0"),
            Err(ReferenceProblem::IllegalChar(0))
        );
        assert_eq!(
            resolve_reference("#xD800"),
            Err(ReferenceProblem::IllegalChar(0xD800))
        );
        assert_eq!(
            resolve_reference("#99999999999999999999"),
            Err(ReferenceProblem::IllegalChar(0x110000))
        );
        assert!(matches!(
            resolve_reference("#X41"),
            Err(ReferenceProblem::MalformedCharRef(_))
        ));
        assert!(matches!(
            resolve_reference("#"),
            Err(ReferenceProblem::MalformedCharRef(_))
        ));
        assert!(matches!(
            resolve_reference("#x"),
            Err(ReferenceProblem::MalformedCharRef(_))
        ));
        assert_eq!(
            resolve_reference("nbsp"),
            Err(ReferenceProblem::UnknownEntity("nbsp".into()))
        );
        assert_eq!(
            resolve_reference("a b"),
            Err(ReferenceProblem::InvalidName("a b".into()))
        );
        assert_eq!(resolve_reference("quot"), Ok('"'));
    }

    #[test]
    fn char_counts() {
        assert_eq!(count_chars("aä€😀".as_bytes()), 4);
    }
}
