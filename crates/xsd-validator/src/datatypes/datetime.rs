//! The eight date/time primitives of XSD 1.0 (3.2.7 - 3.2.14): lexical parsing and the
//! partial order of 3.2.7.4.
//!
//! Values are placed on a timeline of whole seconds (`i128`) plus a fraction kept as a digit
//! string, so fractional seconds of any length compare exactly.

use std::cmp::Ordering;
use std::fmt;

use super::decimal::cmp_fraction;

/// Which of the date/time primitives a value belongs to; values of different kinds never compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DateTimeKind {
    DateTime,
    Time,
    Date,
    GYearMonth,
    GYear,
    GMonthDay,
    GDay,
    GMonth,
}

/// Largest timezone offset allowed by the spec, in minutes (14:00).
const MAX_TZ_MINUTES: i16 = 14 * 60;

/// A parsed date/time value, fields as written (after 24:00:00 handling for xs:time).
///
/// `frac` holds the fractional-second digits without trailing zeros.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DateTimeValue<F = Box<str>> {
    pub kind: DateTimeKind,
    /// XSD 1.0 year numbering: never 0, negative for BCE. 0 when the kind has no year.
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub frac: F,
    /// Offset from UTC in minutes, `None` when no timezone was given.
    pub tz: Option<i16>,
}

/// A point on the timeline used for equality, order and hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Moment<'a> {
    pub seconds: i128,
    pub frac: &'a str,
    pub has_tz: bool,
}

impl<F: AsRef<str>> DateTimeValue<F> {
    /// Position on the timeline: UTC when there is a timezone, local time otherwise.
    ///
    /// Kinds lacking fields use fixed filler values (leap year 1972, January, day 1), so values
    /// of one kind are consistently placed.
    pub fn moment(&self) -> Moment<'_> {
        let (year, month, day) = match self.kind {
            DateTimeKind::DateTime | DateTimeKind::Date => (self.year, self.month, self.day),
            DateTimeKind::GYearMonth => (self.year, self.month, 1),
            DateTimeKind::GYear => (self.year, 1, 1),
            DateTimeKind::Time => (1972, 1, 1),
            DateTimeKind::GMonthDay => (1972, self.month, self.day),
            DateTimeKind::GDay => (1972, 1, self.day),
            DateTimeKind::GMonth => (1972, self.month, 1),
        };
        let days = days_from_civil(astronomical_year(year), i128::from(month), i128::from(day));
        let mut seconds = days * 86_400
            + i128::from(self.hour) * 3600
            + i128::from(self.minute) * 60
            + i128::from(self.second);
        if let Some(tz) = self.tz {
            seconds -= i128::from(tz) * 60;
        }
        Moment {
            seconds,
            frac: self.frac.as_ref(),
            has_tz: self.tz.is_some(),
        }
    }

    /// The partial order of XSD 1.0 3.2.7.4 (values with and without timezone compare only when
    /// the 14-hour window decides).
    pub fn partial_cmp_value<G: AsRef<str>>(&self, other: &DateTimeValue<G>) -> Option<Ordering> {
        if self.kind != other.kind {
            return None;
        }
        let (p, q) = (self.moment(), other.moment());
        match (p.has_tz, q.has_tz) {
            (true, true) | (false, false) => Some(cmp_moment(&p, &q)),
            (true, false) => cmp_with_floating(&p, &q),
            (false, true) => cmp_with_floating(&q, &p).map(Ordering::reverse),
        }
    }

    pub fn to_owned_value(&self) -> DateTimeValue {
        DateTimeValue {
            kind: self.kind,
            year: self.year,
            month: self.month,
            day: self.day,
            hour: self.hour,
            minute: self.minute,
            second: self.second,
            frac: self.frac.as_ref().into(),
            tz: self.tz,
        }
    }
}

fn cmp_moment(a: &Moment<'_>, b: &Moment<'_>) -> Ordering {
    a.seconds
        .cmp(&b.seconds)
        .then_with(|| cmp_fraction(a.frac, b.frac))
}

/// `p` has a timezone, `q` has none: `q` may lie anywhere within ±14 hours of its local time.
fn cmp_with_floating(p: &Moment<'_>, q: &Moment<'_>) -> Option<Ordering> {
    let window = i128::from(MAX_TZ_MINUTES) * 60;
    let earliest = Moment {
        seconds: q.seconds - window,
        ..*q
    };
    let latest = Moment {
        seconds: q.seconds + window,
        ..*q
    };
    if cmp_moment(p, &earliest) == Ordering::Less {
        Some(Ordering::Less)
    } else if cmp_moment(p, &latest) == Ordering::Greater {
        Some(Ordering::Greater)
    } else {
        None
    }
}

impl<F: AsRef<str>, G: AsRef<str>> PartialEq<DateTimeValue<G>> for DateTimeValue<F> {
    fn eq(&self, other: &DateTimeValue<G>) -> bool {
        self.kind == other.kind && self.moment() == other.moment()
    }
}

/// XSD 1.0 has no year 0: -0001 is 1 BCE, which is astronomical year 0.
fn astronomical_year(year: i64) -> i128 {
    if year < 0 {
        i128::from(year) + 1
    } else {
        i128::from(year)
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (astronomical years).
pub(crate) fn days_from_civil(year: i128, month: i128, day: i128) -> i128 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Leap years on the year number as written, as libxml2 does.
fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: Option<i64>, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        // Without a year (gMonthDay) February 29 is allowed.
        2 => match year {
            Some(y) if !is_leap(y) => 28,
            _ => 29,
        },
        _ => 31,
    }
}

/// A cursor over ASCII bytes; every reader returns `None` on mismatch.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    fn digits2(&mut self) -> Option<u8> {
        let bytes = self.s.as_bytes();
        let a = *bytes.get(self.pos)?;
        let b = *bytes.get(self.pos + 1)?;
        if !a.is_ascii_digit() || !b.is_ascii_digit() {
            return None;
        }
        self.pos += 2;
        Some((a - b'0') * 10 + (b - b'0'))
    }

    /// `-?\d{4,}` without leading zeros beyond four digits, not 0000 (XSD 1.0).
    fn year(&mut self) -> Option<i64> {
        let negative = self.eat(b'-').is_some();
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.s.get(start..self.pos)?;
        if digits.len() < 4 || (digits.len() > 4 && digits.starts_with('0')) {
            return None;
        }
        let value: i64 = digits.parse().ok()?;
        if value == 0 {
            return None;
        }
        Some(if negative { -value } else { value })
    }

    fn month(&mut self) -> Option<u8> {
        self.digits2().filter(|m| (1..=12).contains(m))
    }

    /// `hh:mm:ss(.s+)?`; returns the fraction digits (trailing zeros trimmed).
    fn time(&mut self) -> Option<(u8, u8, u8, &'a str)> {
        let hour = self.digits2()?;
        self.eat(b':')?;
        let minute = self.digits2()?;
        self.eat(b':')?;
        let second = self.digits2()?;
        let mut frac = "";
        if self.eat(b'.').is_some() {
            let start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == start {
                return None;
            }
            frac = self.s.get(start..self.pos)?.trim_end_matches('0');
        }
        let end_of_day = hour == 24 && minute == 0 && second == 0 && frac.is_empty();
        if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
            return None;
        }
        Some((hour, minute, second, frac))
    }

    /// Optional `Z` or `(+|-)hh:mm` within ±14:00, then end of input.
    fn timezone_and_end(&mut self) -> Option<Option<i16>> {
        let tz = match self.peek() {
            None => None,
            Some(b'Z') => {
                self.pos += 1;
                Some(0)
            }
            Some(sign @ (b'+' | b'-')) => {
                self.pos += 1;
                let h = i16::from(self.digits2()?);
                self.eat(b':')?;
                let m = i16::from(self.digits2()?);
                let minutes = h * 60 + m;
                if m > 59 || minutes > MAX_TZ_MINUTES {
                    return None;
                }
                Some(if sign == b'-' { -minutes } else { minutes })
            }
            Some(_) => return None,
        };
        if self.pos == self.s.len() {
            Some(tz)
        } else {
            None
        }
    }
}

/// Parses the lexical form of `kind`; whitespace must already be collapsed.
pub fn parse(kind: DateTimeKind, s: &str) -> Option<DateTimeValue<&str>> {
    let mut c = Cursor { s, pos: 0 };
    let mut v = DateTimeValue {
        kind,
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
        second: 0,
        frac: "",
        tz: None,
    };
    let mut has_year = false;
    match kind {
        DateTimeKind::DateTime | DateTimeKind::Date | DateTimeKind::GYearMonth => {
            v.year = c.year()?;
            has_year = true;
            c.eat(b'-')?;
            v.month = c.month()?;
            if kind != DateTimeKind::GYearMonth {
                c.eat(b'-')?;
                v.day = c.digits2()?;
            }
        }
        DateTimeKind::GYear => {
            v.year = c.year()?;
            has_year = true;
        }
        DateTimeKind::GMonthDay => {
            c.eat(b'-')?;
            c.eat(b'-')?;
            v.month = c.month()?;
            c.eat(b'-')?;
            v.day = c.digits2()?;
        }
        DateTimeKind::GDay => {
            for _ in 0..3 {
                c.eat(b'-')?;
            }
            v.day = c.digits2()?;
        }
        DateTimeKind::GMonth => {
            c.eat(b'-')?;
            c.eat(b'-')?;
            v.month = c.month()?;
        }
        DateTimeKind::Time => {}
    }
    if matches!(
        kind,
        DateTimeKind::DateTime | DateTimeKind::Date | DateTimeKind::GMonthDay | DateTimeKind::GDay
    ) {
        let month_for_check = if kind == DateTimeKind::GDay {
            1
        } else {
            v.month
        };
        let year = has_year.then_some(v.year);
        if v.day == 0 || v.day > days_in_month(year, month_for_check) {
            return None;
        }
    }
    if kind == DateTimeKind::DateTime {
        c.eat(b'T')?;
    }
    if matches!(kind, DateTimeKind::DateTime | DateTimeKind::Time) {
        let (h, m, sec, frac) = c.time()?;
        // 1.0 errata: 24:00:00 is the first instant of the next day; for xs:time that is 00:00:00.
        v.hour = if kind == DateTimeKind::Time && h == 24 {
            0
        } else {
            h
        };
        v.minute = m;
        v.second = sec;
        v.frac = frac;
    }
    v.tz = c.timezone_and_end()?;
    Some(v)
}

impl<F: AsRef<str>> fmt::Display for DateTimeValue<F> {
    /// The lexical form of the fields (not timezone-normalised).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let year = |f: &mut fmt::Formatter<'_>| {
            if self.year < 0 {
                write!(f, "-{:04}", self.year.unsigned_abs())
            } else {
                write!(f, "{:04}", self.year)
            }
        };
        let time = |f: &mut fmt::Formatter<'_>| {
            write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)?;
            let frac = self.frac.as_ref();
            if !frac.is_empty() {
                write!(f, ".{frac}")?;
            }
            Ok(())
        };
        match self.kind {
            DateTimeKind::DateTime => {
                year(f)?;
                write!(f, "-{:02}-{:02}T", self.month, self.day)?;
                time(f)?;
            }
            DateTimeKind::Time => time(f)?,
            DateTimeKind::Date => {
                year(f)?;
                write!(f, "-{:02}-{:02}", self.month, self.day)?;
            }
            DateTimeKind::GYearMonth => {
                year(f)?;
                write!(f, "-{:02}", self.month)?;
            }
            DateTimeKind::GYear => year(f)?,
            DateTimeKind::GMonthDay => write!(f, "--{:02}-{:02}", self.month, self.day)?,
            DateTimeKind::GDay => write!(f, "---{:02}", self.day)?,
            DateTimeKind::GMonth => write!(f, "--{:02}", self.month)?,
        }
        match self.tz {
            None => Ok(()),
            Some(0) => f.write_str("Z"),
            Some(tz) => {
                let sign = if tz < 0 { '-' } else { '+' };
                let a = tz.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 60, a % 60)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(kind: DateTimeKind, s: &str) -> bool {
        parse(kind, s).is_some()
    }

    #[test]
    fn date_time_lexical() {
        use DateTimeKind::*;
        let valid = [
            (DateTime, "2001-10-26T21:32:52"),
            (DateTime, "2001-10-26T21:32:52+02:00"),
            (DateTime, "2001-10-26T19:32:52Z"),
            (DateTime, "2001-10-26T19:32:52.123456789012345Z"),
            (DateTime, "-0001-01-01T00:00:00"),
            (DateTime, "12345-01-01T00:00:00"),
            (DateTime, "2000-02-29T00:00:00"),
            (DateTime, "2001-12-31T24:00:00"),
            (DateTime, "2001-01-01T00:00:00+14:00"),
            (DateTime, "2001-01-01T00:00:00-14:00"),
            (Time, "13:20:00"),
            (Time, "24:00:00"),
            (Time, "13:20:00.5-05:00"),
            (Date, "2002-10-10"),
            (Date, "2002-10-10Z"),
            (Date, "-0004-02-29"),
            (GYearMonth, "1999-05"),
            (GYear, "1999"),
            (GYear, "-12345"),
            (GMonthDay, "--02-29"),
            (GMonthDay, "--12-31Z"),
            (GDay, "---31"),
            (GMonth, "--05"),
            (GMonth, "--05+01:00"),
        ];
        for (k, s) in valid {
            assert!(ok(k, s), "{k:?} {s}");
        }
        let invalid = [
            (DateTime, "2001-10-26"),
            (DateTime, "2001-10-26T21:32"),
            (DateTime, "2001-10-26T25:00:00"),
            (DateTime, "2001-10-26T24:00:01"),
            (DateTime, "2001-10-26T24:00:00.1"),
            (DateTime, "01-10-26T21:32:52"),
            (DateTime, "0000-01-01T00:00:00"),
            (DateTime, "01234-01-01T00:00:00"),
            (DateTime, "2001-13-26T21:32:52"),
            (DateTime, "2001-02-29T00:00:00"),
            (DateTime, "1900-02-29T00:00:00"),
            (DateTime, "2001-04-31T00:00:00"),
            (DateTime, "2001-10-26T21:32:52+14:01"),
            (DateTime, "2001-10-26T21:32:52+15:00"),
            (DateTime, "2001-10-26T21:32:52+0200"),
            (DateTime, "2001-10-26T21:32:52."),
            (DateTime, "2001-10-26T21:32:60"),
            (DateTime, "+2001-10-26T21:32:52"),
            (DateTime, "2001-10-26T21:32:52 "),
            (Date, "2002-1-10"),
            (Date, "2002-10-00"),
            (GYear, "99"),
            (GYear, "0000"),
            (GMonthDay, "--02-30"),
            (GMonthDay, "-02-28"),
            (GDay, "---32"),
            (GDay, "--31"),
            (GMonth, "--13"),
            (GMonth, "--05--"),
            (Time, "1:20:00"),
            (Time, "13:20"),
        ];
        for (k, s) in invalid {
            assert!(!ok(k, s), "{k:?} {s}");
        }
    }

    #[test]
    fn equality_with_timezones_and_end_of_day() {
        use DateTimeKind::*;
        let p = |k, s| parse(k, s).unwrap();
        assert_eq!(
            p(DateTime, "2000-01-01T12:00:00Z"),
            p(DateTime, "2000-01-01T13:00:00+01:00")
        );
        assert_eq!(
            p(DateTime, "2000-01-01T24:00:00"),
            p(DateTime, "2000-01-02T00:00:00")
        );
        assert_eq!(
            p(DateTime, "2000-01-01T00:00:00.500"),
            p(DateTime, "2000-01-01T00:00:00.5")
        );
        assert_eq!(p(Time, "24:00:00"), p(Time, "00:00:00"));
        assert_ne!(
            p(DateTime, "2000-01-01T12:00:00Z"),
            p(DateTime, "2000-01-01T12:00:00")
        );
        // 3.2.7.4 examples.
        let cmp = |a, b| p(DateTime, a).partial_cmp_value(&p(DateTime, b));
        assert_eq!(
            cmp("2000-01-15T00:00:00", "2000-02-15T00:00:00"),
            Some(Ordering::Less)
        );
        assert_eq!(cmp("2000-01-01T12:00:00", "1999-12-31T23:00:00Z"), None);
        assert_eq!(cmp("2000-01-16T12:00:00", "2000-01-16T12:00:00Z"), None);
        assert_eq!(cmp("2000-01-16T00:00:00", "2000-01-16T12:00:00Z"), None);
        assert_eq!(
            cmp("2000-01-15T12:00:00", "2000-01-16T12:00:00Z"),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp("-0001-12-31T00:00:00Z", "0001-01-01T00:00:00Z"),
            Some(Ordering::Less)
        );
        assert_eq!(p(GMonth, "--05").to_string(), "--05");
        assert_eq!(
            p(DateTime, "-0044-03-15T12:00:00.25-05:30").to_string(),
            "-0044-03-15T12:00:00.25-05:30"
        );
    }

    fn date_time_strategy() -> impl Strategy<Value = String> {
        (
            1990i64..2010,
            1u8..=12,
            1u8..=28,
            0u8..24,
            0u8..60,
            prop::option::of(-14i16..=14),
        )
            .prop_map(|(y, mo, d, h, mi, tz)| {
                let tz = match tz {
                    None => String::new(),
                    Some(h) => format!("{}{:02}:00", if h < 0 { '-' } else { '+' }, h.abs()),
                };
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{tz}")
            })
    }

    proptest! {
        #[test]
        fn order_is_transitive_and_antisymmetric(a in date_time_strategy(), b in date_time_strategy(), c in date_time_strategy()) {
            let (a, b, c) = (
                parse(DateTimeKind::DateTime, &a).unwrap(),
                parse(DateTimeKind::DateTime, &b).unwrap(),
                parse(DateTimeKind::DateTime, &c).unwrap(),
            );
            if a.partial_cmp_value(&b) == Some(Ordering::Less) && b.partial_cmp_value(&c) == Some(Ordering::Less) {
                prop_assert_eq!(a.partial_cmp_value(&c), Some(Ordering::Less));
            }
            prop_assert_eq!(a.partial_cmp_value(&b), b.partial_cmp_value(&a).map(Ordering::reverse));
            prop_assert_eq!(a.partial_cmp_value(&b) == Some(Ordering::Equal), a == b);
        }

        #[test]
        fn display_round_trips(s in date_time_strategy()) {
            let v = parse(DateTimeKind::DateTime, &s).unwrap();
            let shown = v.to_string();
            let again = parse(DateTimeKind::DateTime, &shown).unwrap();
            prop_assert!(v == again);
        }
    }
}
