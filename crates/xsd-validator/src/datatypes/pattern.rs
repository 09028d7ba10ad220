//! XSD 1.0 regular expressions (Part 2, Appendix F) translated into `regex-syntax` HIR and
//! compiled once with `regex-automata`'s meta engine.
//!
//! Translation goes straight to HIR rather than to regex source text: character classes are
//! computed as exact code point sets (class subtraction, `\w`, blocks), and nothing needs escaping.
//! Differences from Perl-style regexes that the translation takes care of: implicit anchoring,
//! `^` and `$` are ordinary characters, no lazy quantifiers or back-references, `.` excludes only
//! `\n` and `\r`, and `\i \c \w \d` have XML/XSD meanings.

use std::sync::OnceLock;

use regex_automata::meta;
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition};

use super::unicode_blocks;
use super::xml_char::{NAME_EXTRA_RANGES, NAME_START_RANGES};

/// An XSD regular expression that is not valid, with the character position (0-based) at which
/// the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression at character {position}: {message}")]
#[non_exhaustive]
pub struct PatternError {
    pub position: usize,
    pub message: String,
}

/// Upper bound for `{n,m}` counts; larger counts would only exhaust the automaton size limit.
const MAX_REPEAT: u32 = 100_000;
/// Nesting depth of groups and class subtractions; deeper input is rejected, not recursed into.
const MAX_DEPTH: usize = 200;
/// NFA size limit per compiled pattern set.
const NFA_SIZE_LIMIT: usize = 32 << 20;

/// A compiled set of patterns from one derivation step: a value matches if any of them matches
/// the whole value.
#[derive(Debug, Clone)]
pub struct Pattern {
    sources: Vec<Box<str>>,
    regex: Automaton,
    /// Sufficient conditions checked before the regex: a value whose characters all lie in
    /// one of these sets matches (see [`star_set`]).
    fast: Vec<CharSet>,
    /// The branches that are literal text and counted classes (see [`Counted`]), decided
    /// exactly without the regex.
    counted: Vec<Counted>,
    /// Every branch is in `counted`: the regex is never needed (nor built).
    all_counted: bool,
}

/// The regex of a pattern set, built at schema compile time or on first need. Building the
/// automaton of a large character class (`.`, `\w`, DIN 91379 sets) is a good part of
/// compiling a real schema set, and most pattern types of a set are never used by a given
/// message, or are decided by a fast set. Only patterns that could exceed the size limit
/// (large counted repetitions) are built at once, so that the error is a compile error.
#[derive(Debug, Clone)]
enum Automaton {
    Built(meta::Regex),
    /// Far below the size limit; should building fail anyway, no value outside the fast
    /// sets matches.
    Deferred(Hir, OnceLock<Option<meta::Regex>>),
    /// Read from the compiled-schema cache: translated from `sources` on first need. The
    /// sources translated and built when the set was first compiled, so this cannot fail
    /// for a cache entry written by this build (and if it did, only the fast sets match).
    FromSources(OnceLock<Option<meta::Regex>>),
}

/// Repetition counts up to this keep any translated pattern well inside the NFA size limit.
const DEFERRABLE_REPEAT: u32 = 64;

/// Whether `hir` repeats something more than [`DEFERRABLE_REPEAT`] times by count: the only
/// way an XSD pattern's automaton grows large enough to hit the size limit.
fn has_large_count(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(r) => {
            r.min > DEFERRABLE_REPEAT
                || r.max.is_some_and(|max| max > DEFERRABLE_REPEAT)
                || has_large_count(&r.sub)
        }
        HirKind::Capture(c) => has_large_count(&c.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(has_large_count),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => false,
    }
}

fn build_regex(hir: &Hir) -> Result<meta::Regex, PatternError> {
    let config = meta::Config::new().nfa_size_limit(Some(NFA_SIZE_LIMIT));
    meta::Builder::new()
        .configure(config)
        .build_from_hir(hir)
        .map_err(|e| PatternError {
            position: 0,
            message: format!("pattern cannot be compiled (too large?): {e}"),
        })
}

impl Pattern {
    /// Compiles one XSD regular expression.
    pub fn new(xsd: &str) -> Result<Pattern, PatternError> {
        Self::any_of(&[xsd])
    }

    /// Compiles the patterns of one derivation step, which are OR'ed (XSD 1.0 4.3.4.3).
    pub fn any_of<S: AsRef<str>>(xsds: &[S]) -> Result<Pattern, PatternError> {
        let mut branches = Vec::with_capacity(xsds.len());
        for x in xsds {
            branches.push(translate(x.as_ref())?);
        }
        let fast: Vec<CharSet> = branches.iter().filter_map(star_set).collect();
        let mut counted = Vec::new();
        let mut all_counted = true;
        for branch in &branches {
            match Counted::alternatives(branch) {
                Some(alternatives) => counted.extend(alternatives),
                None => all_counted = false,
            }
        }
        let hir = Hir::alternation(branches);
        // A regex never needed is never built, so a large count in a counted branch cannot
        // fail the set (`\d{1000}` is decided by counting).
        let regex = if has_large_count(&hir) && !all_counted {
            Automaton::Built(build_regex(&hir)?)
        } else {
            Automaton::Deferred(hir, OnceLock::new())
        };
        Ok(Pattern {
            sources: xsds.iter().map(|s| s.as_ref().into()).collect(),
            regex,
            fast,
            counted,
            all_counted,
        })
    }

    /// Whether the whole of `s` matches one of the patterns.
    #[inline]
    pub fn is_match(&self, s: &str) -> bool {
        self.fast.iter().any(|set| set.contains_all(s))
            || self.counted.iter().any(|c| c.is_match(s))
            || (!self.all_counted && self.regex_match(s))
    }

    /// The regex, for values that no fast set decides.
    #[inline(never)]
    fn regex_match(&self, s: &str) -> bool {
        match &self.regex {
            Automaton::Built(regex) => regex.is_match(s),
            Automaton::Deferred(hir, regex) => regex
                .get_or_init(|| build_regex(hir).ok())
                .as_ref()
                .is_some_and(|regex| regex.is_match(s)),
            Automaton::FromSources(regex) => regex
                .get_or_init(|| {
                    let branches = self
                        .sources
                        .iter()
                        .map(|x| translate(x))
                        .collect::<Result<Vec<Hir>, _>>()
                        .ok()?;
                    build_regex(&Hir::alternation(branches)).ok()
                })
                .as_ref()
                .is_some_and(|regex| regex.is_match(s)),
        }
    }

    /// The XSD source text of each pattern.
    pub fn sources(&self) -> &[Box<str>] {
        &self.sources
    }
}

/// The characters `C` of a pattern of the form `(c1|c2|...|other)*` where each `ci` is a single
/// character or a class: any string over `C` matches, since `C*` is contained in the pattern
/// (DIN 91379 types are such stars over ~900 characters plus a few base + combining mark
/// sequences, and a set lookup per character is far cheaper than a lazy DFA over UTF-8).
/// Strings with other characters still go to the regex, so the set only needs to be sufficient.
fn star_set(anchored: &Hir) -> Option<CharSet> {
    let HirKind::Concat(parts) = anchored.kind() else {
        return None;
    };
    let [start, body, end] = parts.as_slice() else {
        return None;
    };
    if start.kind() != &HirKind::Look(Look::Start) || end.kind() != &HirKind::Look(Look::End) {
        return None;
    }
    let repetition = match body.kind() {
        HirKind::Repetition(r) if r.min == 0 && r.max.is_none() => r,
        _ => return None,
    };
    let alternatives: &[Hir] = match repetition.sub.kind() {
        HirKind::Alternation(alternatives) => alternatives,
        _ => std::slice::from_ref(repetition.sub.as_ref()),
    };
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for alternative in alternatives {
        match alternative.kind() {
            HirKind::Class(Class::Unicode(class)) => ranges.extend(
                class
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end()))),
            ),
            HirKind::Literal(literal) => {
                let mut chars = std::str::from_utf8(&literal.0).ok()?.chars();
                if let (Some(c), None) = (chars.next(), chars.next()) {
                    ranges.push((u32::from(c), u32::from(c)));
                }
            }
            _ => {}
        }
    }
    (!ranges.is_empty()).then(|| CharSet::new(ranges))
}

/// A branch made of literal text and character classes with counts, of which only the last
/// class may vary in length: `\d{5}`, `[A-Z]{2}[0-9]{3}`, `other:\w{2,}`. A walk from the
/// left decides it exactly (every piece but the last takes a fixed number of characters), and
/// such branches are most of XÖV's patterns; the regex of a large class like `\w` costs
/// millions of instructions to build, more than validating a small message.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Counted {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Piece {
    Literal(Box<str>),
    Class {
        set: CharSet,
        min: u32,
        /// `None`: unbounded.
        max: Option<u32>,
    },
}

impl Counted {
    /// The counted forms of an anchored branch, if it has them: the branch itself, or each
    /// alternative of a branch that is one alternation (`\d{5}|\d{9}`).
    fn alternatives(anchored: &Hir) -> Option<Vec<Counted>> {
        if let HirKind::Concat(parts) = anchored.kind() {
            if let [_, middle, _] = parts.as_slice() {
                if let HirKind::Alternation(alternatives) = middle.kind() {
                    return alternatives
                        .iter()
                        .map(|a| {
                            Counted::from_hir(&Hir::concat(vec![
                                Hir::look(Look::Start),
                                a.clone(),
                                Hir::look(Look::End),
                            ]))
                        })
                        .collect();
                }
            }
        }
        Counted::from_hir(anchored).map(|c| vec![c])
    }

    /// The counted form of an anchored branch, if it has one.
    fn from_hir(anchored: &Hir) -> Option<Counted> {
        let HirKind::Concat(parts) = anchored.kind() else {
            return None;
        };
        let [Some(start), Some(end)] = [parts.first(), parts.last()] else {
            return None;
        };
        if start.kind() != &HirKind::Look(Look::Start) || end.kind() != &HirKind::Look(Look::End) {
            return None;
        }
        let body = parts.get(1..parts.len() - 1)?;
        let mut pieces = Vec::with_capacity(body.len());
        for (i, part) in body.iter().enumerate() {
            let piece = match part.kind() {
                HirKind::Literal(literal) => {
                    Piece::Literal(std::str::from_utf8(&literal.0).ok()?.into())
                }
                HirKind::Class(_) => Piece::Class {
                    set: Self::class_set(part)?,
                    min: 1,
                    max: Some(1),
                },
                HirKind::Repetition(r) => Piece::Class {
                    set: Self::class_set(&r.sub)?,
                    min: r.min,
                    max: r.max,
                },
                _ => return None,
            };
            let varies = matches!(piece, Piece::Class { min, max, .. } if max != Some(min));
            if varies && i + 1 != body.len() {
                return None;
            }
            pieces.push(piece);
        }
        Some(Counted { pieces })
    }

    /// The characters of a one-character HIR: a Unicode class or a literal of one `char`.
    fn class_set(hir: &Hir) -> Option<CharSet> {
        match hir.kind() {
            HirKind::Class(Class::Unicode(class)) => Some(CharSet::new(
                class
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
            )),
            HirKind::Literal(literal) => {
                let mut chars = std::str::from_utf8(&literal.0).ok()?.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(CharSet::new(vec![(u32::from(c), u32::from(c))])),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn is_match(&self, s: &str) -> bool {
        let mut rest = s;
        for piece in &self.pieces {
            match piece {
                Piece::Literal(literal) => match rest.strip_prefix(&**literal) {
                    Some(after) => rest = after,
                    None => return false,
                },
                Piece::Class { set, min, max } if max == &Some(*min) => {
                    let mut chars = rest.chars();
                    for _ in 0..*min {
                        match chars.next() {
                            Some(c) if set.contains(c) => {}
                            _ => return false,
                        }
                    }
                    rest = chars.as_str();
                }
                // The last piece (see `from_hir`): all the rest, counted.
                Piece::Class { set, min, max } => {
                    let count = rest.chars().count();
                    return count >= *min as usize
                        && max.is_none_or(|max| count <= max as usize)
                        && set.contains_all(rest);
                }
            }
        }
        rest.is_empty()
    }
}

/// Characters below this (ASCII and the two-byte UTF-8 range: Latin, Greek, Cyrillic,
/// combining marks) are looked up in a bitmap.
const BITMAP_LIMIT: u32 = 0x800;

/// The cached form of a pattern: its sources and fast sets (the regex is rebuilt on first
/// need, see [`Automaton::FromSources`]).
#[derive(serde::Serialize)]
struct PatternRef<'a> {
    sources: &'a [Box<str>],
    fast: &'a [CharSet],
    counted: &'a [Counted],
    all_counted: bool,
}

#[derive(serde::Deserialize)]
struct PatternOwned {
    sources: Vec<Box<str>>,
    fast: Vec<CharSet>,
    counted: Vec<Counted>,
    all_counted: bool,
}

impl serde::Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PatternRef {
            sources: &self.sources,
            fast: &self.fast,
            counted: &self.counted,
            all_counted: self.all_counted,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let PatternOwned {
            sources,
            fast,
            counted,
            all_counted,
        } = PatternOwned::deserialize(d)?;
        Ok(Pattern {
            sources,
            regex: Automaton::FromSources(OnceLock::new()),
            fast,
            counted,
            all_counted,
        })
    }
}

/// A set of characters: a bitmap below [`BITMAP_LIMIT`] and sorted, merged ranges. Cached as
/// its ranges; the bitmap and the ASCII table are rebuilt.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(into = "CharRanges", from = "CharRanges")]
struct CharSet {
    bitmap: Box<[u64; (BITMAP_LIMIT / 64) as usize]>,
    /// Indexed by byte: 1 for an ASCII character in the set, 0 otherwise (and for every
    /// byte from 0x80), so that runs of ASCII members cost one load per byte.
    ascii: Box<[u8; 256]>,
    ranges: Vec<(u32, u32)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CharRanges(Vec<(u32, u32)>);

impl From<CharSet> for CharRanges {
    fn from(set: CharSet) -> CharRanges {
        CharRanges(set.ranges)
    }
}

impl From<CharRanges> for CharSet {
    fn from(ranges: CharRanges) -> CharSet {
        CharSet::new(ranges.0)
    }
}

impl CharSet {
    fn new(mut ranges: Vec<(u32, u32)>) -> CharSet {
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let mut bitmap = Box::new([0u64; (BITMAP_LIMIT / 64) as usize]);
        for &(start, end) in &merged {
            for c in start..=end.min(BITMAP_LIMIT - 1) {
                if let Some(word) = bitmap.get_mut((c / 64) as usize) {
                    *word |= 1 << (c % 64);
                }
            }
        }
        let mut ascii = Box::new([0u8; 256]);
        for (b, slot) in ascii.iter_mut().enumerate().take(0x80) {
            let word = bitmap.get(b / 64).copied().unwrap_or(0);
            *slot = u8::from(word & (1 << (b % 64)) != 0);
        }
        CharSet {
            bitmap,
            ascii,
            ranges: merged,
        }
    }

    fn contains(&self, c: char) -> bool {
        let c = u32::from(c);
        if let Some(word) = self.bitmap.get((c / 64) as usize) {
            return word & (1 << (c % 64)) != 0;
        }
        // The last range starting at or before `c`.
        let i = self.ranges.partition_point(|&(start, _)| start <= c);
        i > 0 && self.ranges.get(i - 1).is_some_and(|&(_, end)| c <= end)
    }

    /// Whether every character of `s` is in the set. Works on the UTF-8 bytes: ASCII and
    /// two-byte sequences (all of Latin, the DIN 91379 sets' bulk) are looked up in the
    /// bitmap without going through `char`; longer sequences are decoded.
    fn contains_all(&self, s: &str) -> bool {
        let b = s.as_bytes();
        let ascii: &[u8; 256] = &self.ascii;
        let mut i = 0;
        loop {
            while let Some(&byte) = b.get(i) {
                if ascii[usize::from(byte)] == 0 {
                    break;
                }
                i += 1;
            }
            let Some(&lead) = b.get(i) else {
                return true;
            };
            let code = if lead < 0x80 {
                // An ASCII character outside the set.
                return false;
            } else if lead < 0xE0 {
                // `s` is valid UTF-8: a lead byte below 0xE0 starts a two-byte sequence,
                // whose value is below 0x800.
                let next = b.get(i + 1).copied().unwrap_or(0);
                i += 2;
                (u32::from(lead & 0x1F) << 6) | u32::from(next & 0x3F)
            } else {
                let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                    return false;
                };
                if !self.contains(c) {
                    return false;
                }
                i += c.len_utf8();
                continue;
            };
            let word = self.bitmap.get((code / 64) as usize).copied().unwrap_or(0);
            if word & (1 << (code % 64)) == 0 {
                return false;
            }
        }
    }
}

/// Translates an XSD regular expression into an anchored HIR.
pub fn translate(xsd: &str) -> Result<Hir, PatternError> {
    let mut p = Parser {
        chars: xsd.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let body = p.regexp()?;
    if p.pos < p.chars.len() {
        // regexp() stops only at ')' when not inside a group.
        return Err(p.error("unmatched ')'"));
    }
    Ok(Hir::concat(vec![
        Hir::look(Look::Start),
        body,
        Hir::look(Look::End),
    ]))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

/// What a backslash escape denotes.
enum Escape {
    Char(char),
    Class(ClassUnicode),
}

impl Parser {
    fn error(&self, message: impl Into<String>) -> PatternError {
        PatternError {
            position: self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        Ok(())
    }

    /// regExp ::= branch ( '|' branch )*
    fn regexp(&mut self) -> Result<Hir, PatternError> {
        let mut branches = vec![self.branch()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.branch()?);
        }
        Ok(Hir::alternation(branches))
    }

    /// branch ::= piece*
    fn branch(&mut self) -> Result<Hir, PatternError> {
        let mut pieces = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            pieces.push(self.piece()?);
        }
        Ok(Hir::concat(pieces))
    }

    /// piece ::= atom quantifier?
    fn piece(&mut self) -> Result<Hir, PatternError> {
        let atom = self.atom()?;
        let (min, max) = match self.peek() {
            Some(q @ ('?' | '*' | '+')) => {
                self.pos += 1;
                match q {
                    '?' => (0, Some(1)),
                    '*' => (0, None),
                    _ => (1, None),
                }
            }
            Some('{') => {
                self.pos += 1;
                self.quantity()?
            }
            _ => return Ok(atom),
        };
        if matches!(self.peek(), Some('?' | '*' | '+' | '{')) {
            // `a*?`, `a**`, `a{2}{3}`: XSD allows one quantifier per atom and no lazy forms.
            return Err(self.error("quantifier must follow an atom"));
        }
        Ok(Hir::repetition(Repetition {
            min,
            max,
            greedy: true,
            sub: Box::new(atom),
        }))
    }

    /// quantity after '{': n | n, | n,m, then '}'. Single quantifier chars were consumed by the
    /// caller only for '{'.
    fn quantity(&mut self) -> Result<(u32, Option<u32>), PatternError> {
        let min = self
            .number()?
            .ok_or_else(|| self.error("expected a number after '{'"))?;
        let max = if self.peek() == Some(',') {
            self.pos += 1;
            match self.number()? {
                Some(m) if m < min => {
                    return Err(
                        self.error(format!("quantifier {{{min},{m}}}: maximum below minimum"))
                    )
                }
                Some(m) => Some(m),
                None => None,
            }
        } else {
            Some(min)
        };
        if self.peek() != Some('}') {
            return Err(self.error("expected '}' to close the quantifier"));
        }
        self.pos += 1;
        Ok((min, max))
    }

    fn number(&mut self) -> Result<Option<u32>, PatternError> {
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value.saturating_mul(10).saturating_add(d);
            self.pos += 1;
        }
        if self.pos == start {
            return Ok(None);
        }
        if value > MAX_REPEAT {
            self.pos = start;
            return Err(self.error(format!("repetition count above {MAX_REPEAT}")));
        }
        Ok(Some(value))
    }

    /// atom ::= Char | charClass | '(' regExp ')'
    fn atom(&mut self) -> Result<Hir, PatternError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unexpected end of pattern"));
        };
        match c {
            '(' => {
                self.pos += 1;
                self.enter()?;
                let inner = self.regexp()?;
                self.depth -= 1;
                if self.peek() != Some(')') {
                    return Err(self.error("missing ')'"));
                }
                self.pos += 1;
                Ok(inner)
            }
            '[' => {
                self.pos += 1;
                let class = self.class_expr()?;
                Ok(Hir::class(Class::Unicode(class)))
            }
            '.' => {
                self.pos += 1;
                let mut class = ClassUnicode::new([
                    ClassUnicodeRange::new('\n', '\n'),
                    ClassUnicodeRange::new('\r', '\r'),
                ]);
                class.negate();
                Ok(Hir::class(Class::Unicode(class)))
            }
            '\\' => match self.escape()? {
                Escape::Char(c) => Ok(literal(c)),
                Escape::Class(class) => Ok(Hir::class(Class::Unicode(class))),
            },
            '?' | '*' | '+' | '{' => Err(self.error(format!("quantifier '{c}' without an atom"))),
            ')' | ']' | '}' => Err(self.error(format!("unescaped '{c}'"))),
            c => {
                self.pos += 1;
                Ok(literal(c))
            }
        }
    }

    /// Parses after '[' up to and including the closing ']'.
    ///
    /// charGroup ::= posCharGroup | negCharGroup | charClassSub
    fn class_expr(&mut self) -> Result<ClassUnicode, PatternError> {
        self.enter()?;
        let negated = if self.peek() == Some('^') {
            self.pos += 1;
            true
        } else {
            false
        };
        let mut class = ClassUnicode::empty();
        let mut items = 0usize;
        let mut subtrahend: Option<ClassUnicode> = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("missing ']'"));
            };
            match c {
                ']' => break,
                '-' if self.peek_at(1) == Some('[') => {
                    if items == 0 {
                        return Err(self.error("class subtraction needs a group before '-['"));
                    }
                    self.pos += 2;
                    subtrahend = Some(self.class_expr()?);
                    if self.peek() != Some(']') {
                        return Err(self.error("expected ']' after a class subtraction"));
                    }
                    break;
                }
                '[' => return Err(self.error("unescaped '[' in a character class")),
                '\\' => match self.escape()? {
                    Escape::Char(start) => self.range_from(start, &mut class)?,
                    Escape::Class(c) => class.union(&c),
                },
                // A literal '-' is only allowed first or last in a group ("The - character
                // is a valid character range only at the beginning or end of a positive
                // character group", XSD 1.0 Part 2, F.1.1).
                '-' if items > 0
                    && self.peek_at(1) != Some(']')
                    && !(self.peek_at(1) == Some('-') && self.peek_at(2) == Some('[')) =>
                {
                    return Err(self.error(
                        "'-' must be escaped unless it is first or last in a character group",
                    ))
                }
                _ => {
                    self.pos += 1;
                    self.range_from(c, &mut class)?;
                }
            }
            items += 1;
        }
        if items == 0 {
            return Err(self.error("empty character class"));
        }
        self.pos += 1; // the closing ']'
        if negated {
            class.negate();
        }
        if let Some(s) = subtrahend {
            class.difference(&s);
        }
        self.depth -= 1;
        Ok(class)
    }

    /// After a range start char: either `-end` follows (seRange) or it stands alone.
    fn range_from(&mut self, start: char, class: &mut ClassUnicode) -> Result<(), PatternError> {
        let is_range =
            self.peek() == Some('-') && !matches!(self.peek_at(1), None | Some('[') | Some(']'));
        if !is_range {
            class.push(ClassUnicodeRange::new(start, start));
            return Ok(());
        }
        self.pos += 1;
        let end = match self.peek() {
            Some('\\') => match self.escape()? {
                Escape::Char(c) => c,
                Escape::Class(_) => {
                    return Err(self.error("a multi-character escape cannot end a range"))
                }
            },
            Some(c @ ('[' | ']')) => {
                return Err(self.error(format!("unescaped '{c}' ends a range")))
            }
            Some(c) => {
                self.pos += 1;
                c
            }
            None => return Err(self.error("missing ']'")),
        };
        if end < start {
            return Err(self.error(format!(
                "range end U+{:04X} is before range start U+{:04X}",
                end as u32, start as u32
            )));
        }
        class.push(ClassUnicodeRange::new(start, end));
        Ok(())
    }

    /// Parses a backslash escape starting at the backslash.
    fn escape(&mut self) -> Result<Escape, PatternError> {
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.error("pattern ends with '\\'"));
        };
        self.pos += 1;
        let single = match c {
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']' => {
                Some(c)
            }
            _ => None,
        };
        if let Some(ch) = single {
            return Ok(Escape::Char(ch));
        }
        let class = match c {
            's' | 'S' => negate_if(c == 'S', space_class()),
            'i' | 'I' => negate_if(c == 'I', name_start_class()),
            'c' | 'C' => negate_if(c == 'C', name_char_class()),
            'd' | 'D' => negate_if(c == 'D', category("Nd").unwrap_or_else(ClassUnicode::empty)),
            'w' | 'W' => negate_if(c == 'W', word_class()),
            'p' | 'P' => negate_if(c == 'P', self.property()?),
            _ => {
                self.pos -= 1;
                return Err(self.error(format!("'\\{c}' is not an XSD escape")));
            }
        };
        Ok(Escape::Class(class))
    }

    /// `{name}` after `\p` / `\P`: a general category or `Is` + block name.
    fn property(&mut self) -> Result<ClassUnicode, PatternError> {
        if self.peek() != Some('{') {
            return Err(self.error("expected '{' after \\p"));
        }
        self.pos += 1;
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            self.pos += 1;
        }
        let name: String = self
            .chars
            .get(start..self.pos)
            .unwrap_or(&[])
            .iter()
            .collect();
        if self.peek() != Some('}') {
            return Err(self.error("expected '}' after the property name"));
        }
        self.pos += 1;
        if let Some(block) = name.strip_prefix("Is") {
            if !unicode_blocks::is_block(block) {
                self.pos = start;
                return Err(self.error(format!("unknown Unicode block 'Is{block}'")));
            }
            return Ok(class_from_ranges(unicode_blocks::block_ranges(block)));
        }
        if !XSD_CATEGORIES.contains(&name.as_str()) {
            self.pos = start;
            return Err(self.error(format!("unknown character category '{name}'")));
        }
        category(&name).ok_or_else(|| self.error(format!("category '{name}' is not available")))
    }
}

/// The general categories XSD 1.0 F.1.1 allows in `\p{..}`.
const XSD_CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
    "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C",
    "Cc", "Cf", "Co", "Cn",
];

fn literal(c: char) -> Hir {
    let mut buf = [0u8; 4];
    Hir::literal(c.encode_utf8(&mut buf).as_bytes())
}

fn negate_if(negate: bool, mut class: ClassUnicode) -> ClassUnicode {
    if negate {
        class.negate();
    }
    class
}

/// A Unicode general category from regex-syntax's tables.
fn category(name: &str) -> Option<ClassUnicode> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{name}}}"))
        .ok()?;
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(c)) => Some(c),
        // A one-character category (Zl is U+2028, Zp U+2029) comes back as a literal.
        HirKind::Literal(literal) => {
            let mut chars = std::str::from_utf8(&literal.0).ok()?.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)])),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Builds a class from code point ranges, dropping the surrogate gap (not characters).
fn class_from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> ClassUnicode {
    let mut class = ClassUnicode::empty();
    for (lo, hi) in ranges {
        let mut push = |a: u32, b: u32| {
            if let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) {
                if a <= b {
                    class.push(ClassUnicodeRange::new(a, b));
                }
            }
        };
        if hi < 0xD800 || lo > 0xDFFF {
            push(lo, hi);
        } else {
            if lo < 0xD800 {
                push(lo, 0xD7FF);
            }
            if hi > 0xDFFF {
                push(0xE000, hi);
            }
        }
    }
    class
}

fn space_class() -> ClassUnicode {
    class_from_ranges([(0x20, 0x20), (0x9, 0xA), (0xD, 0xD)])
}

fn name_start_class() -> ClassUnicode {
    class_from_ranges(
        NAME_START_RANGES
            .iter()
            .copied()
            .chain([(u32::from(b':'), u32::from(b':'))]),
    )
}

fn name_char_class() -> ClassUnicode {
    class_from_ranges(
        NAME_START_RANGES
            .iter()
            .chain(NAME_EXTRA_RANGES)
            .copied()
            .chain([(u32::from(b':'), u32::from(b':'))]),
    )
}

/// `\w`: all characters except categories P, Z and C.
fn word_class() -> ClassUnicode {
    let mut excluded = ClassUnicode::empty();
    for cat in ["P", "Z", "C"] {
        if let Some(c) = category(cat) {
            excluded.union(&c);
        }
    }
    excluded.negate();
    excluded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The character-set fast path (with the regex built on first need behind it) decides only
    /// what the regex alone decides the same way.
    #[test]
    fn star_set_agrees_with_regex() {
        let cases: &[(&str, bool)] = &[
            ("[a-c]*", true),
            ("(a|b|xy)*", true),
            ("(a|[0-9]|\\p{Lu})*", true),
            ("(é|e\u{301})*", true),
            ("[a-c]+", false),
            ("a*b", false),
            ("(ab)*", false),
        ];
        let inputs = [
            "", "a", "abc", "abd", "xy", "axyb", "x", "09a", "AÄz", "é", "e\u{301}", "ab", "b",
        ];
        for &(xsd, has_fast) in cases {
            let pattern = Pattern::new(xsd).unwrap();
            assert_eq!(!pattern.fast.is_empty(), has_fast, "{xsd}");
            let hir = Hir::alternation(vec![translate(xsd).unwrap()]);
            let regex = build_regex(&hir).unwrap();
            for input in inputs {
                assert_eq!(
                    pattern.is_match(input),
                    regex.is_match(input),
                    "{xsd} on {input:?}"
                );
            }
        }
    }

    const COUNTED_CASES: &[(&str, bool)] = &[
        ("\\d{5}", true),
        ("[A-Z]{2}[0-9]{1,3}", true),
        ("other:\\w{2,}", true),
        ("DE\\d{2}[A-Z0-9]{0,30}", true),
        ("abc", true),
        ("", true),
        ("x.{2}y", true),
        ("[a-z]{2,}|[0-9]+", true),
        ("[a-z]{2,}|(ab)+", false),
        ("\\d{1,3}%", false),
        ("(ab){2}", false),
        ("[a-c]*d", false),
        ("a|b*c", false),
    ];

    /// Counted branches decide exactly what the regex decides, with or without other branches
    /// beside them.
    #[test]
    fn counted_branches_agree_with_regex() {
        let inputs = [
            "",
            "12345",
            "1234",
            "123456",
            "१२३४५",
            "AB1",
            "AB1234",
            "ab1",
            "other:ab",
            "other:a",
            "other:äß",
            "other:a b",
            "DE12",
            "DE12ABC",
            "abc",
            "abcd",
            "xaby",
            "x\nyy",
            "abc%",
            "1%",
            "abab",
            "d",
            "abcd",
            "ccd",
            "bbbc",
        ];
        for &(xsd, all_counted) in COUNTED_CASES {
            let pattern = Pattern::new(xsd).unwrap();
            assert_eq!(pattern.all_counted, all_counted, "{xsd}");
            let regex = build_regex(&Hir::alternation(vec![translate(xsd).unwrap()])).unwrap();
            for input in inputs {
                assert_eq!(
                    pattern.is_match(input),
                    regex.is_match(input),
                    "{xsd} on {input:?}"
                );
            }
        }
    }

    /// A count too large for an automaton is no compile error when counting decides it.
    #[test]
    fn large_counts_are_counted_not_built() {
        let pattern = Pattern::new("[0-9]{90000}").unwrap();
        assert!(pattern.is_match(&"7".repeat(90000)));
        assert!(!pattern.is_match(&"7".repeat(89999)));
    }

    proptest::proptest! {
        /// Counted branches agree with the regex on strings near their shapes.
        #[test]
        fn counted_branches_agree_with_regex_on_random_strings(
            case in 0..COUNTED_CASES.len(),
            s in "(other:|DE|x|y|%|[0-9]|[A-Z]|[a-d]|\\u{966}| |ß){0,8}",
        ) {
            let xsd = COUNTED_CASES[case].0;
            let pattern = Pattern::new(xsd).unwrap();
            let regex = build_regex(&Hir::alternation(vec![translate(xsd).unwrap()])).unwrap();
            proptest::prop_assert_eq!(pattern.is_match(&s), regex.is_match(&s), "{} on {:?}", xsd, s);
        }

        /// The byte-level walk of `contains_all` agrees with a lookup per `char`, for sets
        /// with ranges on both sides of the bitmap limit and strings of one- to four-byte
        /// characters.
        #[test]
        fn contains_all_agrees_with_char_lookup(
            ranges in proptest::collection::vec((0u32..0x3000, 0u32..0x200), 1..8),
            s in "[\\u{0}-\\u{7F}a-z\\u{80}-\\u{900}\\u{2000}-\\u{2100}\\u{1F600}]{0,24}",
        ) {
            let set = CharSet::new(ranges.iter().map(|&(a, n)| (a, a + n)).collect());
            proptest::prop_assert_eq!(set.contains_all(&s), s.chars().all(|c| set.contains(c)));
        }
    }

    fn check(pattern: &str, matches: &[&str], non_matches: &[&str]) {
        let p = Pattern::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        for m in matches {
            assert!(p.is_match(m), "{pattern} should match {m:?}");
        }
        for n in non_matches {
            assert!(!p.is_match(n), "{pattern} should not match {n:?}");
        }
    }

    #[test]
    fn every_xsd_category_is_available() {
        for name in XSD_CATEGORIES {
            let class = category(name).unwrap_or_else(|| panic!("{name}"));
            assert!(class.iter().next().is_some(), "{name} is empty");
        }
    }

    #[test]
    fn translation_table() {
        let table: &[(&str, &[&str], &[&str])] = &[
            ("abc", &["abc"], &["ab", "abcd", "xabc", ""]),
            ("", &[""], &["a"]),
            ("a|b", &["a", "b"], &["ab", ""]),
            ("a|", &["a", ""], &["b"]),
            ("(ab)*", &["", "ab", "abab"], &["aba"]),
            ("a?b+c*", &["b", "abbb", "abcc"], &["a", "aab"]),
            ("a{3}", &["aaa"], &["aa", "aaaa"]),
            ("a{2,}", &["aa", "aaaaa"], &["a"]),
            ("a{1,2}", &["a", "aa"], &["", "aaa"]),
            ("a{0}", &[""], &["a"]),
            ("^a$", &["^a$"], &["a"]),
            ("a^b", &["a^b"], &["ab"]),
            ("[^a]", &["b", "^"], &["a", ""]),
            ("[a^]", &["a", "^"], &["b"]),
            ("[$]", &["$"], &["a"]),
            (".", &["a", "é", "\t", " "], &["\n", "\r", "", "ab"]),
            ("\\.", &["."], &["a"]),
            ("\\d+", &["0123", "٣"], &["a", "1a"]),
            ("\\D", &["a"], &["1"]),
            ("\\s", &[" ", "\t", "\n", "\r"], &["\u{A0}", "a"]),
            ("\\S", &["a"], &[" "]),
            (
                "\\w",
                &["a", "Ä", "1", "$", "+"],
                &[".", " ", "-", "\u{7}", "!"],
            ),
            ("\\W", &[".", " "], &["a"]),
            (
                "\\i\\c*",
                &["a1", "_x-y.z", ":a", "Ärger"],
                &["1a", "-a", ""],
            ),
            ("\\I", &["1"], &["a"]),
            ("\\C", &[" "], &["a"]),
            ("\\p{Lu}", &["A", "Ä"], &["a", "1"]),
            ("\\P{Lu}", &["a"], &["A"]),
            ("\\p{L}+", &["abcÄ"], &["a1"]),
            ("\\p{Nd}", &["5"], &["a"]),
            ("\\p{IsBasicLatin}+", &["abc~"], &["ä"]),
            ("\\p{IsLatin-1Supplement}", &["ä"], &["a"]),
            ("\\P{IsBasicLatin}", &["ä"], &["a"]),
            ("\\p{IsGreek}", &["α"], &["a"]),
            ("\\p{IsPrivateUse}", &["\u{E000}", "\u{10FFFD}"], &["a"]),
            // One-character categories (regex-syntax hands them back as literals).
            ("\\p{Zl}*", &["", "\u{2028}"], &["\u{2029}", " "]),
            ("\\p{Zp}", &["\u{2029}"], &["\u{2028}"]),
            ("\\P{Zl}*", &["\u{2029}a"], &["\u{2028}"]),
            // A character above U+FFFF is one character with its own properties (XSD 1.0
            // 2nd ed. Part 2, 3.2.1 and F.1.1: strings are sequences of code points), not a
            // surrogate pair as in UTF-16 based engines.
            ("\\d", &["\u{1D7CE}"], &["\u{1D7CD}"]),
            ("\\D", &["\u{1D7CD}", "\u{1D800}"], &["\u{1D7CE}"]),
            ("\\p{Lu}*", &["A\u{1D7A8}"], &["\u{1D7C9}"]),
            (
                "\\p{Co}*",
                &["\u{E000}\u{100000}\u{F0000}\u{FFFFD}\u{10FFFD}"],
                &["a"],
            ),
            (
                "\\p{IsPrivateUse}?",
                &["\u{100000}", ""],
                &["\u{100000}\u{100000}"],
            ),
            (".", &["\u{1F600}"], &["\u{1F600}\u{1F600}"]),
            ("[\u{10000}-\u{10FFFF}]", &["\u{1F600}"], &["\u{FFFD}"]),
            ("[a-z-[aeiou]]+", &["bcd"], &["a", "bca"]),
            ("[a-z-[aeiou-[e]]]", &["e", "b"], &["a"]),
            ("[^a-z-[aeiou]]", &["1", "B"], &["a", "b"]),
            ("[\\p{L}-[\\p{Lu}]]", &["a"], &["A", "1"]),
            ("[\\w-[\\d]]", &["a"], &["1", " "]),
            ("[-a]", &["-", "a"], &["b"]),
            ("[a-]", &["-", "a"], &["b"]),
            ("[+-]", &["+", "-"], &["a"]),
            ("[a-c-]", &["a", "-", "c"], &["d"]),
            ("[a-z--[b-z]]", &["a", "-"], &["b"]),
            ("[\\-\\[\\]\\\\]", &["-", "[", "]", "\\"], &["a"]),
            ("[,-\\.]", &[",", "-", "."], &["/"]),
            ("[0-9|A-F]", &["5", "|", "B"], &["G"]),
            ("\\n\\r\\t", &["\n\r\t"], &["nrt"]),
            ("\\|\\?\\*\\+\\{\\}\\(\\)", &["|?*+{}()"], &[""]),
            ("[\\s]", &[" "], &["a"]),
            ("[\\d-]", &["5", "-"], &["a"]),
            ("#", &["#"], &[""]),
            (
                "(2[0-3]|[0-1]{0,1}[0-9]):[0-5][0-9]",
                &["23:59", "0:00", "09:30"],
                &["24:00", "12:60", "123:00"],
            ),
            (
                "\\d{4}((-\\d{2}){0,1}-\\d{2}){0,1}",
                &["2020", "2020-01", "2020-01-02"],
                &["2020-1", "20201"],
            ),
            (
                "[-a-zA-Z0-9ÄÖÜäöüß _!=+~,;.#°§$%()\\[\\]]+\\.[a-zA-Z0-9]+",
                &["Bericht (final)[1].pdf", "a.b"],
                &["a", "a/b.pdf"],
            ),
        ];
        for (pattern, m, n) in table {
            check(pattern, m, n);
        }
    }

    #[test]
    fn invalid_patterns_name_the_position() {
        let cases: &[(&str, usize)] = &[
            ("a**", 2),
            ("a*?", 2),
            ("a{2}{3}", 4),
            ("*a", 0),
            ("+", 0),
            ("a{", 2),
            ("a{,3}", 2),
            ("a{3,2}", 5),
            ("a{x}", 2),
            ("(a", 2),
            ("a)", 1),
            ("[a", 2),
            ("[]", 1),
            ("[a[b]]", 2),
            ("[z-a]", 4),
            // '-' after a range is neither first nor last (W3C reG26, reH19).
            ("[a-c-e]", 4),
            ("]", 0),
            ("}", 0),
            ("\\b", 1),
            ("\\1", 1),
            ("\\x41", 1),
            ("a\\", 2),
            ("\\p{IsKlingon}", 3),
            ("\\p{Xx}", 3),
            ("\\p{L", 4),
            ("[a-\\d]", 5),
            ("[-[a]]", 1),
        ];
        for (pattern, position) in cases {
            match Pattern::new(pattern) {
                Ok(_) => panic!("{pattern} should be rejected"),
                Err(e) => assert_eq!(e.position, *position, "{pattern}: {e}"),
            }
        }
    }

    #[test]
    fn deep_nesting_and_huge_counts_are_errors_not_panics() {
        let deep = "(".repeat(10_000) + &")".repeat(10_000);
        assert!(Pattern::new(&deep).is_err());
        assert!(Pattern::new("a{1000000}").is_err());
        // Only large counts are built at once; everything else on first need, with the same
        // verdicts.
        assert!(matches!(
            Pattern::new("(ab){65}").unwrap().regex,
            Automaton::Built(_)
        ));
        let deferred = Pattern::new("(other:)+\\w{2,}").unwrap();
        assert!(matches!(&deferred.regex, Automaton::Deferred(_, built) if built.get().is_none()));
        assert!(deferred.is_match("other:ab") && !deferred.is_match("other:a"));
        assert!(matches!(&deferred.regex, Automaton::Deferred(_, built) if built.get().is_some()));
        // Counted patterns never build theirs.
        let counted = Pattern::new("other:\\w{2,}").unwrap();
        assert!(counted.is_match("other:ab") && !counted.is_match("other:a"));
        assert!(matches!(&counted.regex, Automaton::Deferred(_, built) if built.get().is_none()));
        assert!(Pattern::new("(\\p{L}{1000}){1000}").is_err());
    }

    #[test]
    fn several_patterns_are_ored() {
        let p = Pattern::any_of(&["a+", "b+"]).unwrap();
        assert!(p.is_match("aaa") && p.is_match("bb") && !p.is_match("ab"));
        assert_eq!(p.sources().len(), 2);
    }

    /// Every xs:pattern of the XÖV schema sets compiles (DIN 91379 classes among them).
    #[test]
    fn all_xoev_patterns_compile() {
        let root =
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/xoev"));
        if !root.is_dir() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{} missing in CI",
                root.display()
            );
            eprintln!("skipping: {} not found", root.display());
            return;
        }
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "xsd") {
                    files.push(path);
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let doc = roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            for node in doc.descendants() {
                if node.tag_name().name() == "pattern"
                    && node.tag_name().namespace() == Some("http://www.w3.org/2001/XMLSchema")
                {
                    if let Some(v) = node.attribute("value") {
                        seen.insert(v.to_owned());
                    }
                }
            }
        }
        assert!(seen.len() >= 20, "found only {} patterns", seen.len());
        for p in &seen {
            if let Err(e) = Pattern::new(p) {
                panic!("{e}\npattern: {p}");
            }
        }
        // A DIN 91379 datatypeC pattern accepts typical names and rejects other scripts.
        let din = seen
            .iter()
            .find(|p| p.len() > 500 && p.contains('\u{1E9E}'))
            .expect("a DIN 91379 pattern");
        let din = Pattern::new(din).unwrap();
        assert!(
            !din.fast.is_empty(),
            "DIN 91379 pattern takes the character-set path"
        );
        assert!(din.is_match("Müller-Lüdenscheidt, Ḱaŝa"));
        assert!(!din.is_match("Müller 😀"));
    }
}
