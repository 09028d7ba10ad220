//! Arbitrary-precision decimals as sign plus digit strings.
//!
//! XSD decimals have no precision limit, and the value space (not a binary float) decides
//! equality, order, totalDigits and fractionDigits. Nothing here converts through `f64`.

use std::cmp::Ordering;
use std::fmt;

/// A borrowed decimal: the lexical form split into canonical parts without allocating.
///
/// Invariant: `int` has no leading zeros, `frac` has no trailing zeros, both ASCII digits;
/// zero is `int == "" && frac == ""` and never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecimalRef<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
}

/// An owned decimal value in canonical form (same invariant as [`DecimalRef`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Decimal {
    negative: bool,
    int: Box<str>,
    frac: Box<str>,
}

impl<'a> DecimalRef<'a> {
    /// Parses the xs:decimal lexical form `[+-]?(\d+(\.\d*)?|\.\d+)`.
    pub fn parse(s: &'a str) -> Option<DecimalRef<'a>> {
        let (negative, body) = split_sign(s);
        let (int, frac) = match body.find('.') {
            Some(dot) => (body.get(..dot)?, body.get(dot + 1..)?),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self::from_parts(negative, int, frac))
    }

    /// Parses the xs:integer lexical form `[+-]?\d+`.
    pub fn parse_integer(s: &'a str) -> Option<DecimalRef<'a>> {
        let (negative, body) = split_sign(s);
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self::from_parts(negative, body, ""))
    }

    fn from_parts(negative: bool, int: &'a str, frac: &'a str) -> DecimalRef<'a> {
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        DecimalRef {
            negative: negative && !zero,
            int,
            frac,
        }
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    pub fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }

    pub fn is_integer(&self) -> bool {
        self.frac.is_empty()
    }

    /// Significant digits as counted by totalDigits: `i × 10^-n` with `|i| < 10^totalDigits`.
    pub fn total_digits(&self) -> usize {
        if self.int.is_empty() {
            // 0.00123 is 123 × 10^-5: leading fractional zeros do not count.
            let significant = self.frac.trim_start_matches('0').len();
            significant.max(1)
        } else {
            self.int.len() + self.frac.len()
        }
    }

    pub fn fraction_digits(&self) -> usize {
        self.frac.len()
    }

    pub fn to_owned_decimal(&self) -> Decimal {
        Decimal {
            negative: self.negative,
            int: self.int.into(),
            frac: self.frac.into(),
        }
    }

    /// The value as `i128` when it is an integer that fits.
    pub fn to_i128(&self) -> Option<i128> {
        if !self.frac.is_empty() || self.int.len() > 38 {
            return None;
        }
        let mut v: i128 = 0;
        for b in self.int.bytes() {
            v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        Some(if self.negative { -v } else { v })
    }

    fn cmp_magnitude(&self, other: &DecimalRef<'_>) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| cmp_fraction(self.frac, other.frac))
    }
}

/// Compares two digit strings as fractions `0.xxx` (missing digits are zeros).
pub(crate) fn cmp_fraction(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let n = ab.len().max(bb.len());
    for i in 0..n {
        let x = ab.get(i).copied().unwrap_or(b'0');
        let y = bb.get(i).copied().unwrap_or(b'0');
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

fn split_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, rest)
    } else {
        (false, s)
    }
}

impl Ord for DecimalRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for DecimalRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Decimal {
    pub fn parse(s: &str) -> Option<Decimal> {
        DecimalRef::parse(s).map(|d| d.to_owned_decimal())
    }

    pub fn from_i128(v: i128) -> Decimal {
        let digits = v.unsigned_abs().to_string();
        DecimalRef::from_parts(v < 0, &digits, "").to_owned_decimal()
    }

    pub fn as_ref(&self) -> DecimalRef<'_> {
        DecimalRef {
            negative: self.negative,
            int: &self.int,
            frac: &self.frac,
        }
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_ref().cmp(&other.as_ref())
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DecimalRef<'_> {
    /// Canonical representation: `-12.5`, `0`, `3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(if self.int.is_empty() { "0" } else { self.int })?;
        if !self.frac.is_empty() {
            f.write_str(".")?;
            f.write_str(self.frac)?;
        }
        Ok(())
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lexical_forms() {
        for ok in [
            "0",
            "-0",
            "+0.0",
            "1.",
            ".5",
            "-.5",
            "0012.3400",
            "123456789012345678901234567890.1",
        ] {
            assert!(DecimalRef::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "", ".", "-", "+", "1e5", "1.2.3", " 1", "1 ", "INF", "0x1", "--1", "1,5",
        ] {
            assert!(DecimalRef::parse(bad).is_none(), "{bad}");
        }
        assert!(DecimalRef::parse_integer("1.0").is_none());
        assert!(DecimalRef::parse_integer("-007").is_some());
    }

    #[test]
    fn canonical_equality_and_digits() {
        let d = |s| DecimalRef::parse(s).unwrap();
        assert_eq!(d("1.0"), d("1"));
        assert_eq!(d("-0.00"), d("0"));
        assert_eq!(d("0.00123").total_digits(), 3);
        assert_eq!(d("0.00123").fraction_digits(), 5);
        assert_eq!(d("120.50").total_digits(), 4);
        assert_eq!(d("0").total_digits(), 1);
        assert_eq!(d("-12.50").to_string(), "-12.5");
        assert!(d("-1") < d("-0.5"));
        assert!(d("99999999999999999999999999999999999999999") > d("1"));
    }

    proptest! {
        #[test]
        fn compare_matches_i128(a in -1_000_000_000_000i128..1_000_000_000_000, b in -1_000_000_000_000i128..1_000_000_000_000, sa in 0u32..6, sb in 0u32..6) {
            // a / 10^sa written in decimal notation, compared exactly against scaled integers.
            let fmt = |v: i128, s: u32| {
                let digits = format!("{:0>width$}", v.unsigned_abs(), width = s as usize + 1);
                let (i, f) = digits.split_at(digits.len() - s as usize);
                format!("{}{}.{}", if v < 0 { "-" } else { "" }, i, f)
            };
            let (la, lb) = (fmt(a, sa), fmt(b, sb));
            let (da, db) = (DecimalRef::parse(&la).unwrap(), DecimalRef::parse(&lb).unwrap());
            let scale = 10i128.pow(6);
            let expected = (a * scale / 10i128.pow(sa)).cmp(&(b * scale / 10i128.pow(sb)));
            prop_assert_eq!(da.cmp(&db), expected);
            prop_assert_eq!(da == db, expected == Ordering::Equal);
        }

        #[test]
        fn integer_round_trip(v in any::<i64>()) {
            let s = v.to_string();
            let d = DecimalRef::parse_integer(&s).unwrap();
            prop_assert_eq!(d.to_i128(), Some(i128::from(v)));
            prop_assert_eq!(d.to_string(), s.clone());
            let owned = Decimal::from_i128(i128::from(v));
            prop_assert_eq!(owned.as_ref(), d);
        }
    }
}
