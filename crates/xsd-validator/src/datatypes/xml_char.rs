//! XML 1.0 (Fifth Edition) name characters, shared by the Name/NCName/NMTOKEN types and the
//! `\i` / `\c` regex escapes.
//!
//! libxml2 uses the older Fourth Edition tables for names; the two differ only outside the
//! scripts in practical use here, and the Fifth Edition ranges are what XML processors accept today.

/// NameStartChar without ':' (the colon is added by callers that allow it).
pub(crate) const NAME_START_RANGES: &[(u32, u32)] = &[
    (0x41, 0x5A),
    (0x5F, 0x5F),
    (0x61, 0x7A),
    (0xC0, 0xD6),
    (0xD8, 0xF6),
    (0xF8, 0x2FF),
    (0x370, 0x37D),
    (0x37F, 0x1FFF),
    (0x200C, 0x200D),
    (0x2070, 0x218F),
    (0x2C00, 0x2FEF),
    (0x3001, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFFD),
    (0x10000, 0xEFFFF),
];

/// NameChar additions beyond NameStartChar (without ':').
pub(crate) const NAME_EXTRA_RANGES: &[(u32, u32)] = &[
    (0x2D, 0x2E),
    (0x30, 0x39),
    (0xB7, 0xB7),
    (0x300, 0x36F),
    (0x203F, 0x2040),
];

fn in_ranges(c: char, ranges: &[(u32, u32)]) -> bool {
    let c = c as u32;
    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

pub(crate) fn is_ncname_start(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '_';
    }
    in_ranges(c, NAME_START_RANGES)
}

pub(crate) fn is_ncname_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    }
    in_ranges(c, NAME_START_RANGES) || in_ranges(c, NAME_EXTRA_RANGES)
}

pub(crate) fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_ncname_start(c) => chars.all(is_ncname_char),
        _ => false,
    }
}

pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_ncname_start(c) || c == ':' => chars.all(|c| c == ':' || is_ncname_char(c)),
        _ => false,
    }
}

pub(crate) fn is_nmtoken(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c == ':' || is_ncname_char(c))
}

/// `(NCName ':')? NCName`, returning (prefix, local).
pub(crate) fn split_qname(s: &str) -> Option<(&str, &str)> {
    match s.split_once(':') {
        Some((prefix, local)) => (is_ncname(prefix) && is_ncname(local)).then_some((prefix, local)),
        None => is_ncname(s).then_some(("", s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "_a", "a-b.c", "Ärger", "x\u{B7}y", "a1"] {
            assert!(is_ncname(ok), "{ok}");
        }
        for bad in ["", "1a", "-a", "a:b", "a b", ".a", "\u{B7}a"] {
            assert!(!is_ncname(bad), "{bad}");
        }
        assert!(is_name(":a:b"));
        assert!(!is_name("1a"));
        assert!(is_nmtoken("1a:b-"));
        assert!(!is_nmtoken("a b"));
        assert_eq!(split_qname("p:l"), Some(("p", "l")));
        assert_eq!(split_qname("l"), Some(("", "l")));
        assert_eq!(split_qname("p:"), None);
        assert_eq!(split_qname("a:b:c"), None);
    }
}
