//! Strings that match an XSD pattern: a walk over the pattern's `regex-syntax` HIR (as
//! translated by [`crate::datatypes::translate_pattern`]) that aims at a wanted length, so
//! that length facets combined with a pattern are met where the pattern allows it.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::rng::Rng;

/// Shortest and longest match length in characters (`None`: unbounded). `min` is
/// `usize::MAX` when nothing matches (an empty class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    min: usize,
    max: Option<usize>,
}

const IMPOSSIBLE: Span = Span {
    min: usize::MAX,
    max: Some(0),
};

fn span(h: &Hir) -> Span {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Span {
            min: 0,
            max: Some(0),
        },
        HirKind::Literal(lit) => {
            let n = String::from_utf8_lossy(&lit.0).chars().count();
            Span {
                min: n,
                max: Some(n),
            }
        }
        HirKind::Class(c) if class_is_empty(c) => IMPOSSIBLE,
        HirKind::Class(_) => Span {
            min: 1,
            max: Some(1),
        },
        HirKind::Repetition(r) => {
            let s = span(&r.sub);
            if s.min == usize::MAX {
                return if r.min == 0 {
                    Span {
                        min: 0,
                        max: Some(0),
                    }
                } else {
                    IMPOSSIBLE
                };
            }
            Span {
                min: s.min.saturating_mul(r.min as usize),
                max: match (s.max, r.max) {
                    (Some(0), _) => Some(0),
                    (Some(a), Some(b)) => Some(a.saturating_mul(b as usize)),
                    _ => None,
                },
            }
        }
        HirKind::Capture(c) => span(&c.sub),
        HirKind::Concat(parts) => parts.iter().map(span).fold(
            Span {
                min: 0,
                max: Some(0),
            },
            |acc, s| Span {
                min: acc.min.saturating_add(s.min),
                max: acc.max.zip(s.max).map(|(a, b)| a.saturating_add(b)),
            },
        ),
        HirKind::Alternation(alts) => {
            let spans: Vec<Span> = alts
                .iter()
                .map(span)
                .filter(|s| s.min != usize::MAX)
                .collect();
            if spans.is_empty() {
                return IMPOSSIBLE;
            }
            Span {
                min: spans.iter().map(|s| s.min).min().unwrap_or(0),
                max: spans
                    .iter()
                    .try_fold(0usize, |acc, s| s.max.map(|m| acc.max(m))),
            }
        }
    }
}

fn class_is_empty(c: &Class) -> bool {
    match c {
        Class::Unicode(u) => u.ranges().is_empty(),
        Class::Bytes(b) => b.ranges().is_empty(),
    }
}

/// A string matching `hir` whose length in characters lies in `min_len..=max_len` if the
/// pattern allows it (the caller verifies). `None` when the pattern matches nothing.
pub(crate) fn sample(
    hir: &Hir,
    min_len: usize,
    max_len: Option<usize>,
    rng: &mut Rng,
) -> Option<String> {
    let s = span(hir);
    if s.min == usize::MAX {
        return None;
    }
    let hi = match (max_len, s.max) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(usize::MAX),
    };
    // An empty value is valid more often than it is useful: at least one character if allowed.
    let lo = min_len.max(s.min).max(usize::from(hi >= 1));
    // Prefer short, readable values when the facets leave room: up to 10 beyond the minimum.
    let want = if hi <= lo {
        lo.min(s.max.unwrap_or(lo))
    } else {
        rng.range(lo as u64, hi.min(lo.saturating_add(10)) as u64) as usize
    };
    let mut out = String::new();
    walk(hir, want, rng, &mut out).then_some(out)
}

/// Appends a match of `h` of about `want` characters; false when `h` matches nothing.
fn walk(h: &Hir, want: usize, rng: &mut Rng, out: &mut String) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => {
            out.push_str(&String::from_utf8_lossy(&lit.0));
            true
        }
        HirKind::Class(c) => match pick_char(c, rng) {
            Some(ch) => {
                out.push(ch);
                true
            }
            None => false,
        },
        HirKind::Capture(c) => walk(&c.sub, want, rng, out),
        HirKind::Concat(parts) => {
            let spans: Vec<Span> = parts.iter().map(span).collect();
            if spans.iter().any(|s| s.min == usize::MAX) {
                return false;
            }
            let total_min: usize = spans.iter().map(|s| s.min).fold(0, usize::saturating_add);
            let mut extra = want.saturating_sub(total_min);
            // Hand the surplus to the flexible parts, starting at a random one.
            let mut wants: Vec<usize> = spans.iter().map(|s| s.min).collect();
            let n = parts.len();
            let start = rng.index(n.max(1));
            for k in 0..n {
                let i = (start + k) % n;
                let (Some(w), Some(s)) = (wants.get_mut(i), spans.get(i)) else {
                    continue;
                };
                let room = s.max.map_or(extra, |m| m.saturating_sub(s.min));
                let give = room.min(extra);
                *w += give;
                extra -= give;
            }
            parts.iter().zip(wants).all(|(p, w)| walk(p, w, rng, out))
        }
        HirKind::Alternation(alts) => {
            let spans: Vec<Span> = alts.iter().map(span).collect();
            let fits: Vec<usize> = (0..alts.len())
                .filter(|&i| {
                    spans
                        .get(i)
                        .is_some_and(|s| s.min <= want && s.max.is_none_or(|m| m >= want))
                })
                .collect();
            // Branches that can be written in plain ASCII letters and digits read best.
            let readable: Vec<usize> = fits
                .iter()
                .copied()
                .filter(|&i| alts.get(i).is_some_and(is_readable))
                .collect();
            let fits = if readable.is_empty() { fits } else { readable };
            let chosen = if fits.is_empty() {
                // Nearest branch by length.
                (0..alts.len())
                    .filter(|&i| spans.get(i).is_some_and(|s| s.min != usize::MAX))
                    .min_by_key(|&i| {
                        spans.get(i).map_or(usize::MAX, |s| {
                            if s.min > want {
                                s.min - want
                            } else {
                                want - s.max.unwrap_or(want)
                            }
                        })
                    })
            } else {
                fits.get(rng.index(fits.len())).copied()
            };
            match chosen.and_then(|i| alts.get(i)) {
                Some(a) => walk(a, want, rng, out),
                None => false,
            }
        }
        HirKind::Repetition(r) => {
            let s = span(&r.sub);
            if s.min == usize::MAX {
                return r.min == 0;
            }
            let rmin = r.min as usize;
            // Never more copies than needed for `want` characters (or the minimum count).
            let cap = rmin.max(want).saturating_add(1);
            let rmax = r.max.map_or(cap, |m| (m as usize).min(cap)).max(rmin);
            let count = if s.max == Some(0) {
                rmin
            } else {
                // Many short copies rather than few long ones: the shortest branches of a
                // repeated alternation are usually the plain characters (DIN 91379 names).
                let mut n = (want / s.min.max(1)).clamp(rmin, rmax);
                // Too many copies overshoot when each must be at least s.min long.
                while n > rmin && n.saturating_mul(s.min) > want {
                    n -= 1;
                }
                n
            };
            if count == 0 {
                return true;
            }
            let base = want / count;
            let mut rest = want % count;
            for _ in 0..count {
                let mut w = base;
                if rest > 0 {
                    w += 1;
                    rest -= 1;
                }
                let w = w.max(s.min).min(s.max.unwrap_or(usize::MAX));
                if !walk(&r.sub, w, rng, out) {
                    return false;
                }
            }
            true
        }
    }
}

/// Whether `h` can match a string of preferred (ASCII alphanumeric) characters only.
fn is_readable(h: &Hir) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => lit.0.iter().all(u8::is_ascii_alphanumeric),
        HirKind::Class(Class::Unicode(u)) => PREFERRED
            .chars()
            .any(|ch| u.ranges().iter().any(|r| r.start() <= ch && ch <= r.end())),
        HirKind::Class(Class::Bytes(b)) => b
            .ranges()
            .iter()
            .any(|r| (r.start()..=r.end()).any(|x| x.is_ascii_alphanumeric())),
        HirKind::Repetition(r) => r.min == 0 || is_readable(&r.sub),
        HirKind::Capture(c) => is_readable(&c.sub),
        HirKind::Concat(parts) => parts.iter().all(is_readable),
        HirKind::Alternation(alts) => alts.iter().any(is_readable),
    }
}

/// Readable characters tried first, in this order of preference.
const PREFERRED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A character of the class: a readable ASCII one when the class has any, else any XML
/// character that is neither a control nor whitespace, else a space.
fn pick_char(c: &Class, rng: &mut Rng) -> Option<char> {
    match c {
        Class::Unicode(u) => {
            let ranges = u.ranges();
            let contains = |ch: char| {
                ranges
                    .binary_search_by(|r| {
                        if r.end() < ch {
                            std::cmp::Ordering::Less
                        } else if r.start() > ch {
                            std::cmp::Ordering::Greater
                        } else {
                            std::cmp::Ordering::Equal
                        }
                    })
                    .is_ok()
            };
            let nice: Vec<char> = PREFERRED.chars().filter(|&ch| contains(ch)).collect();
            if !nice.is_empty() {
                return nice.get(rng.index(nice.len())).copied();
            }
            // Random tries over the class, then a deterministic scan.
            for _ in 0..16 {
                let Some(r) = ranges.get(rng.index(ranges.len())) else {
                    break;
                };
                let width = u64::from(r.end()) - u64::from(r.start());
                let cp = u64::from(r.start()) + rng.below(width + 1);
                if let Some(ch) = u32::try_from(cp).ok().and_then(char::from_u32) {
                    if is_plain_xml_char(ch) {
                        return Some(ch);
                    }
                }
            }
            for r in ranges {
                for cp in u32::from(r.start())..=u32::from(r.end()).min(u32::from(r.start()) + 64) {
                    if let Some(ch) = char::from_u32(cp).filter(|&ch| is_plain_xml_char(ch)) {
                        return Some(ch);
                    }
                }
            }
            ranges
                .iter()
                .flat_map(|r| [r.start(), r.end()])
                .find(|&ch| matches!(ch, ' ' | '\t' | '\n' | '\r'))
        }
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .find(|&x| x.is_ascii_graphic())
            .map(char::from),
    }
}

/// An XML 1.0 `Char` that is not whitespace, not a control and not a noncharacter.
fn is_plain_xml_char(ch: char) -> bool {
    !ch.is_control()
        && !ch.is_whitespace()
        && !matches!(ch, '\u{FFFE}' | '\u{FFFF}')
        && !('\u{FDD0}'..='\u{FDEF}').contains(&ch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datatypes::{translate_pattern, Pattern};

    fn check(pattern: &str, min: usize, max: Option<usize>) -> String {
        let hir = match translate_pattern(pattern) {
            Ok(h) => h,
            Err(e) => panic!("{pattern}: {e}"),
        };
        let compiled = match Pattern::new(pattern) {
            Ok(p) => p,
            Err(e) => panic!("{pattern}: {e}"),
        };
        let mut rng = Rng::new(1);
        for _ in 0..20 {
            let s = match sample(&hir, min, max, &mut rng) {
                Some(s) => s,
                None => panic!("{pattern}: no sample"),
            };
            assert!(compiled.is_match(&s), "{pattern}: '{s}' does not match");
            let n = s.chars().count();
            assert!(
                n >= min && max.is_none_or(|m| n <= m),
                "{pattern}: '{s}' length {n}"
            );
        }
        sample(&hir, min, max, &mut Rng::new(9)).unwrap_or_default()
    }

    #[test]
    fn samples_match_their_patterns() {
        check("[0-9]{5}", 0, None);
        check("\\d{2,4}-[A-Z]+", 0, None);
        check("(ab|cde)*x?", 0, None);
        check("[\\i-[:]][\\c-[:]]*", 3, Some(3));
        check("\\p{Lu}\\p{Ll}*", 0, None);
        check("[^a-z]{3}", 0, None);
        check("a{0,3}b{2}", 0, None);
        check(".*", 4, Some(6));
        check("\\^$", 0, None);
    }

    #[test]
    fn length_target_is_met_when_the_pattern_allows() {
        let s = check("[a-z]*", 7, Some(7));
        assert_eq!(s.chars().count(), 7);
        let s = check("([A-Z][a-z]{0,3})+", 10, Some(12));
        assert!((10..=12).contains(&s.chars().count()), "{s}");
    }

    #[test]
    fn empty_class_yields_none() {
        let hir = match translate_pattern("[a-[a]]") {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(sample(&hir, 0, None, &mut Rng::new(0)), None);
    }
}
