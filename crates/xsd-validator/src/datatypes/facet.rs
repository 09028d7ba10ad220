//! Constraining facets (XSD 1.0 Part 2, 4.3): the effective facet set of a simple type, the
//! checks made when a restriction adds facets, and the checks made on each value.

use std::cmp::Ordering;
use std::sync::Arc;

use super::pattern::Pattern;
use super::value::{Atom, Value};
use super::{DatatypeError, FacetKind, FacetSpec, ValueError, WhiteSpace};

/// A facet value with its `fixed` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Fixable<T> {
    pub value: T,
    pub fixed: bool,
}

/// A bound facet: min/max, inclusive or exclusive.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Bound {
    pub value: Value,
    pub lexical: Box<str>,
    pub inclusive: bool,
    pub fixed: bool,
}

/// The facets in effect for a type: inherited from the base and narrowed by each restriction.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Facets {
    pub whitespace: Option<Fixable<WhiteSpace>>,
    pub length: Option<Fixable<u64>>,
    pub min_length: Option<Fixable<u64>>,
    pub max_length: Option<Fixable<u64>>,
    pub total_digits: Option<Fixable<u64>>,
    pub fraction_digits: Option<Fixable<u64>>,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    /// One entry per derivation step; a value must match every entry.
    #[serde(with = "crate::cache::shared::vec")]
    pub patterns: Vec<Arc<Pattern>>,
    /// The enumeration of the nearest step that had one (it is a subset of earlier ones).
    #[serde(with = "crate::cache::shared::option")]
    pub enumeration: Option<Arc<Enumeration>>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Enumeration {
    pub values: Vec<Value>,
    pub lexical: Vec<Box<str>>,
}

impl Facets {
    pub(crate) fn has_value_facets(&self) -> bool {
        self.min.is_some()
            || self.max.is_some()
            || self.total_digits.is_some()
            || self.fraction_digits.is_some()
    }

    /// Checks length facets on a measured length (characters, octets or list items).
    pub(crate) fn check_length(&self, len: usize, unit: &str) -> Result<(), ValueError> {
        let len = len as u64;
        if let Some(l) = self.length {
            if len != l.value {
                return Err(ValueError::new(
                    "cvc-length-valid",
                    format!(
                        "length {len} is not the required length {} ({unit})",
                        l.value
                    ),
                ));
            }
        }
        if let Some(l) = self.min_length {
            if len < l.value {
                return Err(ValueError::new(
                    "cvc-minLength-valid",
                    format!("length {len} is below minLength {} ({unit})", l.value),
                ));
            }
        }
        if let Some(l) = self.max_length {
            if len > l.value {
                return Err(ValueError::new(
                    "cvc-maxLength-valid",
                    format!("length {len} exceeds maxLength {} ({unit})", l.value),
                ));
            }
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn check_patterns(&self, lexical: &str) -> Result<(), ValueError> {
        match self.patterns.iter().find(|p| !p.is_match(lexical)) {
            None => Ok(()),
            Some(p) => Err(pattern_error(p, lexical)),
        }
    }

    pub(crate) fn check_enumeration_with(
        &self,
        lexical: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<(), ValueError> {
        if let Some(e) = &self.enumeration {
            if !e.values.iter().any(matches) {
                return Err(ValueError::new(
                    "cvc-enumeration-valid",
                    format!(
                        "'{}' is not one of: {}",
                        truncate(lexical, 64),
                        enumeration_list(&e.lexical)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Bounds and digit facets on an atomic value.
    pub(crate) fn check_value(&self, atom: &Atom<'_>, lexical: &str) -> Result<(), ValueError> {
        let shown = truncate(lexical, 64);
        if let Some(b) = &self.min {
            let ok = match atom.partial_cmp_value(&b.value) {
                Some(Ordering::Greater) => true,
                Some(Ordering::Equal) => b.inclusive,
                _ => false,
            };
            if !ok {
                let (rule, op) = if b.inclusive {
                    ("cvc-minInclusive-valid", ">=")
                } else {
                    ("cvc-minExclusive-valid", ">")
                };
                return Err(ValueError::new(
                    rule,
                    format!("'{shown}' is not {op} {}", b.lexical),
                ));
            }
        }
        if let Some(b) = &self.max {
            let ok = match atom.partial_cmp_value(&b.value) {
                Some(Ordering::Less) => true,
                Some(Ordering::Equal) => b.inclusive,
                _ => false,
            };
            if !ok {
                let (rule, op) = if b.inclusive {
                    ("cvc-maxInclusive-valid", "<=")
                } else {
                    ("cvc-maxExclusive-valid", "<")
                };
                return Err(ValueError::new(
                    rule,
                    format!("'{shown}' is not {op} {}", b.lexical),
                ));
            }
        }
        if let Some(d) = atom.as_decimal() {
            if let Some(t) = self.total_digits {
                if d.total_digits() as u64 > t.value {
                    return Err(ValueError::new(
                        "cvc-totalDigits-valid",
                        format!(
                            "'{shown}' has {} digits, more than totalDigits {}",
                            d.total_digits(),
                            t.value
                        ),
                    ));
                }
            }
            if let Some(f) = self.fraction_digits {
                if d.fraction_digits() as u64 > f.value {
                    return Err(ValueError::new(
                        "cvc-fractionDigits-valid",
                        format!(
                            "'{shown}' has {} fraction digits, more than fractionDigits {}",
                            d.fraction_digits(),
                            f.value
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `'A', 'B', 'C'`, capped so that long code lists stay readable.
fn enumeration_list(values: &[Box<str>]) -> String {
    const SHOWN: usize = 10;
    let mut out = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("'{}'", truncate(v, 40)))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        out.push_str(&format!(", ... ({} values)", values.len()));
    }
    out
}

/// Cuts `s` to at most `max` characters for messages.
pub(crate) fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or("")).into(),
        None => s.into(),
    }
}

/// The facet kinds that apply to a type, by variety and primitive (XSD 1.0 4.1.5).
pub(crate) fn applicable(kind: FacetKind, class: FacetClass) -> bool {
    use FacetKind::*;
    match kind {
        Pattern => true,
        Enumeration => class != FacetClass::Boolean,
        WhiteSpace => class != FacetClass::Union,
        Length | MinLength | MaxLength => {
            matches!(class, FacetClass::Stringlike | FacetClass::List)
        }
        MaxInclusive | MaxExclusive | MinInclusive | MinExclusive => {
            matches!(class, FacetClass::Ordered | FacetClass::Decimal)
        }
        TotalDigits | FractionDigits => class == FacetClass::Decimal,
    }
}

/// Groups of types sharing the same applicable facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FacetClass {
    /// string, anyURI, hexBinary, base64Binary, QName, NOTATION
    Stringlike,
    /// boolean: pattern and whiteSpace only
    Boolean,
    /// float, double, duration, date/time types
    Ordered,
    Decimal,
    List,
    Union,
}

pub(crate) fn facet_name(kind: FacetKind) -> &'static str {
    match kind {
        FacetKind::Length => "length",
        FacetKind::MinLength => "minLength",
        FacetKind::MaxLength => "maxLength",
        FacetKind::Pattern => "pattern",
        FacetKind::Enumeration => "enumeration",
        FacetKind::WhiteSpace => "whiteSpace",
        FacetKind::MaxInclusive => "maxInclusive",
        FacetKind::MaxExclusive => "maxExclusive",
        FacetKind::MinInclusive => "minInclusive",
        FacetKind::MinExclusive => "minExclusive",
        FacetKind::TotalDigits => "totalDigits",
        FacetKind::FractionDigits => "fractionDigits",
    }
}

/// Parses a non-negative integer facet value (length, totalDigits, ...), saturating huge values.
pub(crate) fn parse_count(spec: &FacetSpec, positive: bool) -> Result<u64, DatatypeError> {
    let s = spec.value.trim_matches([' ', '\t', '\n', '\r']);
    let digits = s.strip_prefix('+').unwrap_or(s);
    let valid = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let value = if valid {
        digits.bytes().fold(0u64, |acc, b| {
            acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
    } else {
        0
    };
    if !valid || (positive && value == 0) {
        return Err(DatatypeError::new(
            "cos-applicable-facets",
            format!(
                "the {} facet value '{}' is not a valid {}",
                facet_name(spec.kind),
                truncate(&spec.value, 40),
                if positive {
                    "xs:positiveInteger"
                } else {
                    "xs:nonNegativeInteger"
                }
            ),
        ));
    }
    Ok(value)
}

/// The violation of a pattern facet (apart from the check, which runs for every value).
#[cold]
#[inline(never)]
fn pattern_error(p: &Pattern, lexical: &str) -> ValueError {
    let shown = p
        .sources()
        .iter()
        .map(|s| format!("'{}'", truncate(s, 80)))
        .collect::<Vec<_>>()
        .join(" or ");
    ValueError::new(
        "cvc-pattern-valid",
        format!(
            "'{}' does not match the pattern {shown}",
            truncate(lexical, 64)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_helpers() {
        assert_eq!(truncate("abcdef", 3), "abc...");
        assert_eq!(truncate("äbc", 3), "äbc");
        let many: Vec<Box<str>> = (0..25).map(|i| i.to_string().into()).collect();
        let shown = enumeration_list(&many);
        assert!(
            shown.starts_with("'0', '1'") && shown.ends_with("... (25 values)"),
            "{shown}"
        );
    }

    #[test]
    fn applicability() {
        assert!(applicable(FacetKind::TotalDigits, FacetClass::Decimal));
        assert!(!applicable(FacetKind::TotalDigits, FacetClass::Ordered));
        assert!(!applicable(FacetKind::MaxLength, FacetClass::Decimal));
        assert!(applicable(FacetKind::MaxLength, FacetClass::List));
        assert!(!applicable(FacetKind::WhiteSpace, FacetClass::Union));
        assert!(!applicable(FacetKind::Enumeration, FacetClass::Boolean));
        assert!(applicable(FacetKind::Pattern, FacetClass::Boolean));
    }
}
