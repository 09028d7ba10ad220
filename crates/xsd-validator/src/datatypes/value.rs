//! Value spaces of the XSD 1.0 primitives: lexical parsing, equality, order and hashing.
//!
//! [`Atom`] borrows from the literal and is what the validation fast path works with;
//! [`Value`] owns its data and is what callers keep (enumerations, fixed/default values,
//! identity-constraint keys, ID/IDREF).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use super::builtin::Builtin;
use super::datetime::{self, DateTimeKind, DateTimeValue};
use super::decimal::{Decimal, DecimalRef};
use super::duration::Duration;
use super::xml_char;
use super::NamespaceContext;

/// The namespace of the `xml` prefix, bound in every document.
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// A value in the value space of a simple type.
///
/// Equality is XSD value-space equality: values of different primitives are never equal;
/// `1.0 == 1` for decimals; dateTimes compare on the timeline; NaN equals NaN and `-0 == 0`
/// (as libxml2 does); lists compare item by item. Equality is an equivalence relation, so
/// `Value` is `Eq + Hash` and serves as the key for identity constraints.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Value {
    /// xs:string and every type derived from it (the normalised literal).
    String(Box<str>),
    Boolean(bool),
    /// xs:decimal and all integer types.
    Decimal(Decimal),
    Float(f32),
    Double(f64),
    Duration(Duration),
    /// The eight date/time primitives; the kind is part of the value.
    DateTime(DateTimeValue),
    HexBinary(Box<[u8]>),
    Base64Binary(Box<[u8]>),
    AnyUri(Box<str>),
    /// Expanded name: namespace (None = no namespace) and local part.
    QName {
        namespace: Option<Box<str>>,
        local: Box<str>,
    },
    Notation {
        namespace: Option<Box<str>>,
        local: Box<str>,
    },
    List(#[serde(deserialize_with = "crate::cache::shared::list_items")] Vec<Value>),
}

/// A borrowed atomic value, produced without allocation from a normalised literal.
#[derive(Debug, Clone)]
pub(crate) enum Atom<'a> {
    String(&'a str),
    Boolean(bool),
    Decimal(DecimalRef<'a>),
    Float(f32),
    Double(f64),
    Duration(Duration),
    DateTime(DateTimeValue<&'a str>),
    /// Binary data as its lexical form (decoded on demand) plus the octet count.
    Hex(&'a str, usize),
    Base64(&'a str, usize),
    AnyUri(&'a str),
    QName(Option<&'a str>, &'a str),
    Notation(Option<&'a str>, &'a str),
}

impl<'a> Atom<'a> {
    /// Parses `s` (already whitespace-normalised) in the lexical space of `primitive`.
    pub(crate) fn parse(
        primitive: Builtin,
        s: &'a str,
        ns: &'a dyn NamespaceContext,
    ) -> Option<Atom<'a>> {
        Some(match primitive {
            Builtin::String | Builtin::AnySimpleType => Atom::String(s),
            Builtin::Boolean => Atom::Boolean(match s {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return None,
            }),
            Builtin::Decimal => Atom::Decimal(DecimalRef::parse(s)?),
            Builtin::Float => Atom::Float(parse_float(s)?),
            Builtin::Double => Atom::Double(parse_double(s)?),
            Builtin::Duration => Atom::Duration(Duration::parse(s)?),
            Builtin::DateTime => Atom::DateTime(datetime::parse(DateTimeKind::DateTime, s)?),
            Builtin::Time => Atom::DateTime(datetime::parse(DateTimeKind::Time, s)?),
            Builtin::Date => Atom::DateTime(datetime::parse(DateTimeKind::Date, s)?),
            Builtin::GYearMonth => Atom::DateTime(datetime::parse(DateTimeKind::GYearMonth, s)?),
            Builtin::GYear => Atom::DateTime(datetime::parse(DateTimeKind::GYear, s)?),
            Builtin::GMonthDay => Atom::DateTime(datetime::parse(DateTimeKind::GMonthDay, s)?),
            Builtin::GDay => Atom::DateTime(datetime::parse(DateTimeKind::GDay, s)?),
            Builtin::GMonth => Atom::DateTime(datetime::parse(DateTimeKind::GMonth, s)?),
            Builtin::HexBinary => Atom::Hex(s, hex_len(s)?),
            Builtin::Base64Binary => Atom::Base64(s, base64_len(s)?),
            Builtin::AnyUri => Atom::AnyUri(is_any_uri(s).then_some(s)?),
            Builtin::QName | Builtin::Notation => {
                let (prefix, local) = xml_char::split_qname(s)?;
                let namespace = if prefix == "xml" {
                    Some(XML_NAMESPACE)
                } else {
                    match ns.resolve(prefix) {
                        Some("") => None,
                        Some(uri) => Some(uri),
                        // An unprefixed name without a default namespace has no namespace;
                        // an undeclared prefix makes the value invalid.
                        None if prefix.is_empty() => None,
                        None => return None,
                    }
                };
                if primitive == Builtin::QName {
                    Atom::QName(namespace, local)
                } else {
                    Atom::Notation(namespace, local)
                }
            }
            _ => return None,
        })
    }

    /// Length as counted by the length facets: characters, octets; `None` where length
    /// facets do not constrain (QName/NOTATION per the 1.0 errata, non-string primitives).
    pub(crate) fn length(&self) -> Option<usize> {
        match self {
            Atom::String(s) | Atom::AnyUri(s) => Some(s.chars().count()),
            Atom::Hex(_, n) | Atom::Base64(_, n) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            Atom::String(s) => Value::String((*s).into()),
            Atom::Boolean(b) => Value::Boolean(*b),
            Atom::Decimal(d) => Value::Decimal(d.to_owned_decimal()),
            Atom::Float(f) => Value::Float(*f),
            Atom::Double(f) => Value::Double(*f),
            Atom::Duration(d) => Value::Duration(d.clone()),
            Atom::DateTime(d) => Value::DateTime(d.to_owned_value()),
            Atom::Hex(s, _) => Value::HexBinary(decode_hex(s).into()),
            Atom::Base64(s, _) => Value::Base64Binary(decode_base64(s).into()),
            Atom::AnyUri(s) => Value::AnyUri((*s).into()),
            Atom::QName(ns, local) => Value::QName {
                namespace: ns.map(Into::into),
                local: (*local).into(),
            },
            Atom::Notation(ns, local) => Value::Notation {
                namespace: ns.map(Into::into),
                local: (*local).into(),
            },
        }
    }

    /// Value equality against an owned value, without allocating for the common kinds.
    pub(crate) fn equals(&self, v: &Value) -> bool {
        match (self, v) {
            (Atom::String(a), Value::String(b)) | (Atom::AnyUri(a), Value::AnyUri(b)) => *a == &**b,
            (Atom::Boolean(a), Value::Boolean(b)) => a == b,
            (Atom::Decimal(a), Value::Decimal(b)) => *a == b.as_ref(),
            (Atom::Float(a), Value::Float(b)) => float_eq(f64::from(*a), f64::from(*b)),
            (Atom::Double(a), Value::Double(b)) => float_eq(*a, *b),
            (Atom::Duration(a), Value::Duration(b)) => a == b,
            (Atom::DateTime(a), Value::DateTime(b)) => a == b,
            (Atom::QName(ns, l), Value::QName { namespace, local })
            | (Atom::Notation(ns, l), Value::Notation { namespace, local }) => {
                *ns == namespace.as_deref() && *l == &**local
            }
            (Atom::Hex(..) | Atom::Base64(..), _) => self.to_value() == *v,
            _ => false,
        }
    }

    /// Order against an owned value, where the spec defines one.
    pub(crate) fn partial_cmp_value(&self, v: &Value) -> Option<Ordering> {
        match (self, v) {
            (Atom::Decimal(a), Value::Decimal(b)) => Some(a.cmp(&b.as_ref())),
            (Atom::Float(a), Value::Float(b)) => float_cmp(f64::from(*a), f64::from(*b)),
            (Atom::Double(a), Value::Double(b)) => float_cmp(*a, *b),
            (Atom::Duration(a), Value::Duration(b)) => a.partial_cmp_value(b),
            (Atom::DateTime(a), Value::DateTime(b)) => a.partial_cmp_value(b),
            _ => None,
        }
    }

    pub(crate) fn as_decimal(&self) -> Option<&DecimalRef<'a>> {
        match self {
            Atom::Decimal(d) => Some(d),
            _ => None,
        }
    }
}

fn float_eq(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

/// NaN equals itself but is incomparable with everything else (XSD 1.0 3.2.4).
fn float_cmp(a: f64, b: f64) -> Option<Ordering> {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Some(Ordering::Equal),
        (false, false) => a.partial_cmp(&b),
        _ => None,
    }
}

/// `(\+|-)?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee](\+|-)?[0-9]+)?|-?INF|NaN` (XSD 1.0: no `+INF`).
fn check_float_lexical(s: &str) -> bool {
    if matches!(s, "INF" | "-INF" | "NaN") {
        return true;
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 1..)),
        None => (s, None),
    };
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    DecimalRef::parse(mantissa).is_some()
}

fn parse_double(s: &str) -> Option<f64> {
    if !check_float_lexical(s) {
        return None;
    }
    match s {
        "INF" => Some(f64::INFINITY),
        "-INF" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        // Rust's parser rounds correctly and accepts every form the check above admits.
        _ => s.parse().ok(),
    }
}

fn parse_float(s: &str) -> Option<f32> {
    if !check_float_lexical(s) {
        return None;
    }
    match s {
        "INF" => Some(f32::INFINITY),
        "-INF" => Some(f32::NEG_INFINITY),
        "NaN" => Some(f32::NAN),
        _ => s.parse().ok(),
    }
}

/// Octet count of a hexBinary literal: an even number of hex digits.
fn hex_len(s: &str) -> Option<usize> {
    (s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(s.len() / 2)
}

fn decode_hex(s: &str) -> Vec<u8> {
    let nibble = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b.wrapping_sub(b'A').wrapping_add(10),
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .collect()
}

fn base64_index(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Octet count of a base64Binary literal per the XSD 1.0 (errata) grammar: groups of four
/// characters, single spaces allowed between characters, padding only at the end and with the
/// restricted final characters (`[AQgw]==`, `[AEIMQUYcgkosw048]=`).
fn base64_len(s: &str) -> Option<usize> {
    let mut chars: usize = 0;
    let mut padding = 0usize;
    let mut last_value: u8 = 0;
    let mut prev_space = true; // a leading space is not allowed
    for b in s.bytes() {
        if b == b' ' {
            if prev_space {
                return None;
            }
            prev_space = true;
            continue;
        }
        prev_space = false;
        if b == b'=' {
            padding += 1;
            if padding > 2 {
                return None;
            }
        } else {
            if padding > 0 {
                return None;
            }
            last_value = base64_index(b)?;
        }
        chars += 1;
    }
    if (prev_space && !s.is_empty()) || chars % 4 != 0 {
        return None;
    }
    match padding {
        1 if last_value & 0b11 != 0 => return None,
        2 if last_value & 0b1111 != 0 => return None,
        _ => {}
    }
    if padding > 0 && (chars % 4 != 0 || padding == chars) {
        return None;
    }
    Some(chars / 4 * 3 - padding)
}

fn decode_base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in s.bytes() {
        if let Some(v) = base64_index(b) {
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
    }
    out
}

/// anyURI, as lenient as libxml2: reject only clearly illegal references — bad percent escapes,
/// more than one `#`, a scheme part that is not a scheme, characters that cannot be escaped.
fn is_any_uri(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    if s.matches('#').count() > 1 {
        return false;
    }
    // A ':' before any '/', '?' or '#' makes the prefix a scheme, which must be well-formed.
    let head_end = s.find(['/', '?', '#']).unwrap_or(s.len());
    if let Some(colon) = s.get(..head_end).and_then(|h| h.find(':')) {
        let scheme = s.get(..colon).unwrap_or("");
        let mut it = scheme.bytes();
        let first_ok = it.next().is_some_and(|b| b.is_ascii_alphabetic());
        if !first_ok || !it.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
            return false;
        }
    }
    true
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (String(a), String(b)) | (AnyUri(a), AnyUri(b)) => a == b,
            (Boolean(a), Boolean(b)) => a == b,
            (Decimal(a), Decimal(b)) => a == b,
            (Float(a), Float(b)) => float_eq(f64::from(*a), f64::from(*b)),
            (Double(a), Double(b)) => float_eq(*a, *b),
            (Duration(a), Duration(b)) => a == b,
            (DateTime(a), DateTime(b)) => a == b,
            (HexBinary(a), HexBinary(b)) | (Base64Binary(a), Base64Binary(b)) => a == b,
            (
                QName {
                    namespace: n1,
                    local: l1,
                },
                QName {
                    namespace: n2,
                    local: l2,
                },
            )
            | (
                Notation {
                    namespace: n1,
                    local: l1,
                },
                Notation {
                    namespace: n2,
                    local: l2,
                },
            ) => n1 == n2 && l1 == l2,
            (List(a), List(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::String(s) | Value::AnyUri(s) => s.hash(state),
            Value::Boolean(b) => b.hash(state),
            Value::Decimal(d) => d.hash(state),
            Value::Float(f) => float_key(f64::from(*f)).hash(state),
            Value::Double(f) => float_key(*f).hash(state),
            Value::Duration(d) => d.hash(state),
            Value::DateTime(d) => {
                d.kind.hash(state);
                d.moment().hash(state);
            }
            Value::HexBinary(b) | Value::Base64Binary(b) => b.hash(state),
            Value::QName { namespace, local } | Value::Notation { namespace, local } => {
                namespace.hash(state);
                local.hash(state);
            }
            Value::List(items) => items.hash(state),
        }
    }
}

/// Bits that agree with [`float_eq`]: all NaNs alike, `-0` as `0`.
fn float_key(f: f64) -> u64 {
    if f.is_nan() {
        u64::MAX
    } else if f == 0.0 {
        0
    } else {
        f.to_bits()
    }
}

impl PartialOrd for Value {
    /// The order of the value space where the spec defines one (numbers, durations,
    /// date/time); other values are only `Equal` to equal values.
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Decimal(a), Decimal(b)) => Some(a.cmp(b)),
            (Float(a), Float(b)) => float_cmp(f64::from(*a), f64::from(*b)),
            (Double(a), Double(b)) => float_cmp(*a, *b),
            (Duration(a), Duration(b)) => a.partial_cmp_value(b),
            (DateTime(a), DateTime(b)) => a.partial_cmp_value(b),
            _ => (self == other).then_some(Ordering::Equal),
        }
    }
}

impl fmt::Display for Value {
    /// A lexical representation (canonical for numbers), used in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) | Value::AnyUri(s) => f.write_str(s),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Float(x) => write_float(f, f64::from(*x)),
            Value::Double(x) => write_float(f, *x),
            Value::Duration(d) => write!(f, "{d}"),
            Value::DateTime(d) => write!(f, "{d}"),
            Value::HexBinary(b) => b.iter().try_for_each(|x| write!(f, "{x:02X}")),
            Value::Base64Binary(b) => write!(f, "[{} octets]", b.len()),
            Value::QName { namespace, local } | Value::Notation { namespace, local } => {
                match namespace {
                    Some(ns) => write!(f, "{{{ns}}}{local}"),
                    None => f.write_str(local),
                }
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        f.write_str("NaN")
    } else if x.is_infinite() {
        f.write_str(if x > 0.0 { "INF" } else { "-INF" })
    } else {
        write!(f, "{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ns;
    impl NamespaceContext for Ns {
        fn resolve(&self, prefix: &str) -> Option<&str> {
            match prefix {
                "" => Some("urn:default"),
                "p" => Some("urn:p"),
                _ => None,
            }
        }
    }

    fn ok(b: Builtin, s: &str) -> bool {
        Atom::parse(b, s, &Ns).is_some()
    }

    #[test]
    fn primitive_lexical_tables() {
        let table: &[(Builtin, &[&str], &[&str])] = &[
            (
                Builtin::Boolean,
                &["true", "false", "1", "0"],
                &["TRUE", "yes", "", "01"],
            ),
            (
                Builtin::Float,
                &[
                    "1e5", "1E5", "-1.5e-3", "INF", "-INF", "NaN", "0", "-0", ".5", "5.", "1e+5",
                    "3.4e39",
                ],
                &[
                    "+INF", "inf", "nan", "1e", "e5", "1.5e3.2", "", " 1", "1f", "0x10", "Infinity",
                ],
            ),
            (
                Builtin::Double,
                &["1e308", "-1.7976931348623157E308", "4.9e-324"],
                &["1e", "--1"],
            ),
            (
                Builtin::HexBinary,
                &["", "0F", "a1b2C3"],
                &["0", "0G", "0 F", "abc"],
            ),
            (
                Builtin::Base64Binary,
                &[
                    "", "AAAA", "QQ==", "QUI=", "QUJD", "QU JD", "Q U J D", "QUJDRA==", "YQ==",
                ],
                &[
                    "Q",
                    "QQ=",
                    "QQ==QQ==",
                    "QR==",
                    "QUJ=x",
                    " QUJD",
                    "QUJD ",
                    "QU  JD",
                    "Q===",
                    "====",
                    "QUJ\u{e9}",
                ],
            ),
            (
                Builtin::AnyUri,
                &[
                    "http://example.com/a?b=c#d",
                    "",
                    "urn:isbn:0451450523",
                    "../a/b",
                    "a b",
                    "mailto:x@y",
                    "%20",
                    "ä",
                ],
                &["%zz", "%2", "a#b#c", "1http://x", ":foo"],
            ),
            (
                Builtin::QName,
                &["p:a", "a", "xml:lang"],
                &["q:a", "p:", ":a", "1a", "a:b:c"],
            ),
            (Builtin::Notation, &["p:gif"], &["undeclared:gif"]),
        ];
        for (b, valid, invalid) in table {
            for s in *valid {
                assert!(ok(*b, s), "{b:?} {s:?}");
            }
            for s in *invalid {
                assert!(!ok(*b, s), "{b:?} {s:?} should be invalid");
            }
        }
    }

    #[test]
    fn binary_lengths_and_decoding() {
        assert_eq!(base64_len("QUJD"), Some(3));
        assert_eq!(base64_len("QUI="), Some(2));
        assert_eq!(base64_len("QQ=="), Some(1));
        assert_eq!(decode_base64("QU JD"), b"ABC");
        assert_eq!(decode_base64("QUI="), b"AB");
        assert_eq!(decode_hex("0aFF"), [0x0a, 0xff]);
        let v = |b, s| Atom::parse(b, s, &Ns).unwrap().to_value();
        assert_eq!(v(Builtin::HexBinary, "0aff"), v(Builtin::HexBinary, "0AFF"));
        assert_ne!(
            v(Builtin::HexBinary, "00"),
            v(Builtin::Base64Binary, "AA==")
        );
    }

    #[test]
    fn value_equality_and_order() {
        let v = |b, s| Atom::parse(b, s, &Ns).unwrap().to_value();
        assert_eq!(v(Builtin::Decimal, "1.0"), v(Builtin::Decimal, "1"));
        assert_eq!(v(Builtin::Double, "NaN"), v(Builtin::Double, "NaN"));
        assert_eq!(v(Builtin::Double, "-0"), v(Builtin::Double, "0"));
        assert_eq!(v(Builtin::Float, "1e5"), v(Builtin::Float, "100000"));
        assert_ne!(v(Builtin::Float, "1"), v(Builtin::Double, "1"));
        assert_eq!(
            v(Builtin::Double, "NaN").partial_cmp(&v(Builtin::Double, "1")),
            None
        );
        assert!(v(Builtin::Double, "-INF") < v(Builtin::Double, "-1e308"));
        assert_eq!(
            v(Builtin::QName, "p:a"),
            Value::QName {
                namespace: Some("urn:p".into()),
                local: "a".into()
            }
        );
        assert_eq!(
            v(Builtin::QName, "a"),
            Value::QName {
                namespace: Some("urn:default".into()),
                local: "a".into()
            }
        );
        assert_ne!(v(Builtin::String, "a"), v(Builtin::AnyUri, "a"));
        let hash = |x: &Value| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x.hash(&mut h);
            h.finish()
        };
        assert_eq!(
            hash(&v(Builtin::Decimal, "01.50")),
            hash(&v(Builtin::Decimal, "1.5"))
        );
        assert_eq!(
            hash(&v(Builtin::DateTime, "2000-01-01T12:00:00Z")),
            hash(&v(Builtin::DateTime, "2000-01-01T14:00:00+02:00"))
        );
        assert_eq!(
            hash(&v(Builtin::Double, "-0")),
            hash(&v(Builtin::Double, "0"))
        );
    }
}
