//! xs:duration (XSD 1.0 3.2.6): lexical parsing, equality and the partial order of 3.2.6.2.
//!
//! A duration's value is a signed month count plus a signed second count. Seconds are kept as
//! floor integer plus a non-negative fraction digit string, so `-PT1.25S` is `-2 + 0.75`: the
//! pair then compares lexicographically, exactly, at any precision.

use std::cmp::Ordering;

use super::datetime::days_from_civil;
use super::decimal::cmp_fraction;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Duration {
    pub months: i128,
    /// Floor of the total seconds.
    pub seconds: i128,
    /// Fractional part in `[0, 1)`, digits without trailing zeros.
    pub frac: Box<str>,
}

/// The reference dateTimes of 3.2.6.2 (year, month; all on day 1 at 00:00:00Z).
const REFERENCES: [(i128, i128); 4] = [(1696, 9), (1697, 2), (1903, 3), (1903, 7)];

impl Duration {
    /// Parses `-?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)?` with at least one component.
    ///
    /// Returns `None` for lexical errors and for magnitudes beyond `i128` seconds.
    pub fn parse(s: &str) -> Option<Duration> {
        let (negative, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let rest = rest.strip_prefix('P')?;
        let (date_part, time_part) = match rest.find('T') {
            Some(t) => (rest.get(..t)?, Some(rest.get(t + 1..)?)),
            None => (rest, None),
        };
        let mut any = false;
        let mut months: i128 = 0;
        let mut seconds: i128 = 0;
        let mut frac: &str = "";

        let mut order = 0;
        for (value, designator) in components(date_part)? {
            let (rank, factor_months, factor_seconds) = match designator {
                b'Y' => (1, 12, 0),
                b'M' => (2, 1, 0),
                b'D' => (3, 0, 86_400),
                _ => return None,
            };
            if rank <= order || value.contains('.') {
                return None;
            }
            order = rank;
            let n = parse_u128(value)?;
            months = months.checked_add(n.checked_mul(factor_months)?)?;
            seconds = seconds.checked_add(n.checked_mul(factor_seconds)?)?;
            any = true;
        }
        if let Some(time_part) = time_part {
            if time_part.is_empty() {
                return None;
            }
            let mut order = 0;
            for (value, designator) in components(time_part)? {
                let (rank, factor) = match designator {
                    b'H' => (1, 3600),
                    b'M' => (2, 60),
                    b'S' => (3, 1),
                    _ => return None,
                };
                if rank <= order {
                    return None;
                }
                order = rank;
                let whole = if designator == b'S' {
                    match value.split_once('.') {
                        Some((w, f)) => {
                            if !f.bytes().all(|b| b.is_ascii_digit())
                                || (w.is_empty() && f.is_empty())
                            {
                                return None;
                            }
                            frac = f.trim_end_matches('0');
                            if w.is_empty() {
                                "0"
                            } else {
                                w
                            }
                        }
                        None => value,
                    }
                } else if value.contains('.') {
                    return None;
                } else {
                    value
                };
                let n = parse_u128(whole)?;
                seconds = seconds.checked_add(n.checked_mul(factor)?)?;
                any = true;
            }
        }
        if !any {
            return None;
        }
        let zero = months == 0 && seconds == 0 && frac.is_empty();
        if negative && !zero {
            months = -months;
            if frac.is_empty() {
                seconds = -seconds;
                Some(Duration {
                    months,
                    seconds,
                    frac: "".into(),
                })
            } else {
                Some(Duration {
                    months,
                    seconds: (-seconds).checked_sub(1)?,
                    frac: complement_fraction(frac).into(),
                })
            }
        } else {
            Some(Duration {
                months,
                seconds,
                frac: frac.into(),
            })
        }
    }

    /// The partial order of 3.2.6.2: the order on which all four reference dateTimes agree.
    pub fn partial_cmp_value(&self, other: &Duration) -> Option<Ordering> {
        let seconds_cmp = || {
            self.seconds
                .cmp(&other.seconds)
                .then_with(|| cmp_fraction(&self.frac, &other.frac))
        };
        if self.months == other.months {
            return Some(seconds_cmp());
        }
        let mut result: Option<Ordering> = None;
        for (year, month) in REFERENCES {
            let a = month_start_seconds(year, month, self.months)?.checked_add(self.seconds)?;
            let b = month_start_seconds(year, month, other.months)?.checked_add(other.seconds)?;
            let o = a
                .cmp(&b)
                .then_with(|| cmp_fraction(&self.frac, &other.frac));
            match result {
                None => result = Some(o),
                Some(prev) if prev != o => return None,
                Some(_) => {}
            }
        }
        result
    }

    pub fn is_negative(&self) -> bool {
        self.months < 0 || self.seconds < 0
    }
}

/// Seconds from the epoch to the first day of (`year`, `month` + `add_months`).
fn month_start_seconds(year: i128, month: i128, add_months: i128) -> Option<i128> {
    let total = year
        .checked_mul(12)?
        .checked_add(month - 1)?
        .checked_add(add_months)?;
    let y = total.div_euclid(12);
    let m = total.rem_euclid(12) + 1;
    // Years this large overflow the day arithmetic; such durations are incomparable.
    if y.unsigned_abs() > 1u128 << 90 {
        return None;
    }
    days_from_civil(y, m, 1).checked_mul(86_400)
}

/// `1 - 0.f` as digits, for a non-empty `f` without trailing zeros.
fn complement_fraction(f: &str) -> String {
    let bytes = f.as_bytes();
    let mut out: Vec<u8> = bytes.iter().map(|b| b'9' - (b - b'0')).collect();
    if let Some(last) = out.last_mut() {
        // The last digit is non-zero, so 10 - d stays a single digit.
        *last += 1;
    }
    let s = String::from_utf8(out).unwrap_or_default();
    s.trim_end_matches('0').to_owned()
}

/// Splits `12Y3M` into `[("12", b'Y'), ("3", b'M')]`; digits (and a dot) precede each designator.
fn components(s: &str) -> Option<Vec<(&str, u8)>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b.is_ascii_digit() || b == b'.' {
            continue;
        }
        if i == start {
            return None;
        }
        out.push((s.get(start..i)?, b));
        start = i + 1;
    }
    if start != s.len() {
        return None;
    }
    Some(out)
}

fn parse_u128(digits: &str) -> Option<i128> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    Some(v)
}

impl std::fmt::Display for Duration {
    /// A canonical form: months as `nYnM`, seconds as `nDTnHnMn.nS`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let negative = self.is_negative();
        // Undo the floor/fraction split for display.
        let (secs, frac) = if negative && !self.frac.is_empty() {
            (-(self.seconds + 1), complement_fraction(&self.frac))
        } else {
            (self.seconds.abs(), self.frac.to_string())
        };
        let months = self.months.abs();
        if negative {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        if months / 12 != 0 {
            write!(f, "{}Y", months / 12)?;
        }
        if months % 12 != 0 {
            write!(f, "{}M", months % 12)?;
        }
        let (d, h, m, s) = (
            secs / 86_400,
            secs % 86_400 / 3600,
            secs % 3600 / 60,
            secs % 60,
        );
        if d != 0 {
            write!(f, "{d}D")?;
        }
        if h != 0 || m != 0 || s != 0 || !frac.is_empty() || (months == 0 && d == 0) {
            f.write_str("T")?;
            if h != 0 {
                write!(f, "{h}H")?;
            }
            if m != 0 {
                write!(f, "{m}M")?;
            }
            if s != 0 || !frac.is_empty() || (h == 0 && m == 0) {
                write!(f, "{s}")?;
                if !frac.is_empty() {
                    write!(f, ".{frac}")?;
                }
                f.write_str("S")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lexical_forms() {
        for ok in [
            "P1Y2M3DT10H30M",
            "-P120D",
            "P1347Y",
            "P1347M",
            "P0Y1347M0D",
            "PT1.5S",
            "PT.5S",
            "PT0S",
            "-PT1.25S",
            "P99999999999999999999999D",
        ] {
            assert!(Duration::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "", "P", "PT", "P-1347M", "P1Y2MT", "1Y", "P1M1Y", "PT1S1M", "P1.5Y", "PT1.5M", "P1H",
            "PT1D", "+P1Y", "P1Y ", "PT.S", "P1YT",
        ] {
            assert!(Duration::parse(bad).is_none(), "{bad}");
        }
        let eq = |a, b| Duration::parse(a).unwrap() == Duration::parse(b).unwrap();
        assert!(eq("P1D", "PT24H"));
        assert!(eq("P1Y", "P12M"));
        assert!(eq("-P0D", "PT0S"));
        assert!(eq("PT1.50S", "PT1.5S"));
        assert!(!eq("P1M", "P30D"));
    }

    #[test]
    fn partial_order_per_spec() {
        let c = |a, b| {
            Duration::parse(a)
                .unwrap()
                .partial_cmp_value(&Duration::parse(b).unwrap())
        };
        assert_eq!(c("P1Y", "P364D"), Some(Ordering::Greater));
        assert_eq!(c("P1Y", "P365D"), None);
        assert_eq!(c("P1Y", "P366D"), None);
        assert_eq!(c("P1Y", "P367D"), Some(Ordering::Less));
        assert_eq!(c("P1M", "P27D"), Some(Ordering::Greater));
        assert_eq!(c("P1M", "P28D"), None);
        assert_eq!(c("P1M", "P32D"), Some(Ordering::Less));
        assert_eq!(c("P5M", "P149D"), Some(Ordering::Greater));
        assert_eq!(c("P5M", "P154D"), Some(Ordering::Less));
        assert_eq!(c("-PT1.25S", "-PT1.5S"), Some(Ordering::Greater));
        assert_eq!(c("-PT1.25S", "PT0S"), Some(Ordering::Less));
        assert_eq!(Duration::parse("-PT1.25S").unwrap().to_string(), "-PT1.25S");
    }

    proptest! {
        #[test]
        fn seconds_only_order_matches_integers(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000) {
            // Centiseconds rendered as durations compare like the integers.
            let render = |v: i64| format!("{}PT{}.{:02}S", if v < 0 { "-" } else { "" }, v.abs() / 100, v.abs() % 100);
            let (da, db) = (Duration::parse(&render(a)).unwrap(), Duration::parse(&render(b)).unwrap());
            prop_assert_eq!(da.partial_cmp_value(&db), Some(a.cmp(&b)));
            prop_assert_eq!(da == db, a == b);
        }
    }
}
