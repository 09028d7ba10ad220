//! Date/time and number formatting for `format-date` and `format-number`, and the lexical
//! checks behind field types. Hand-written on purpose: the inputs are XSD lexical forms, and
//! decimal strings are rounded digit by digit so that no value passes through a float.

/// One directive or literal run of a `format-date` pattern, checked when the mapping compiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePiece {
    Literal(String),
    Year,
    YearTwoDigits,
    Month,
    Day,
    DayUnpadded,
    Hour,
    Minute,
    Second,
    Fraction,
    Timezone,
}

impl DatePiece {
    fn needs_date(&self) -> bool {
        matches!(
            self,
            DatePiece::Year
                | DatePiece::YearTwoDigits
                | DatePiece::Month
                | DatePiece::Day
                | DatePiece::DayUnpadded
        )
    }

    fn needs_time(&self) -> bool {
        matches!(
            self,
            DatePiece::Hour | DatePiece::Minute | DatePiece::Second | DatePiece::Fraction
        )
    }
}

/// Parses a strftime-like pattern: `%Y %y %m %d %e %H %M %S %f %z %%`.
pub fn parse_date_pattern(pattern: &str) -> Result<Vec<DatePiece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let piece = match chars.next() {
            Some('%') => {
                literal.push('%');
                continue;
            }
            Some('Y') => DatePiece::Year,
            Some('y') => DatePiece::YearTwoDigits,
            Some('m') => DatePiece::Month,
            Some('d') => DatePiece::Day,
            Some('e') => DatePiece::DayUnpadded,
            Some('H') => DatePiece::Hour,
            Some('M') => DatePiece::Minute,
            Some('S') => DatePiece::Second,
            Some('f') => DatePiece::Fraction,
            Some('z') => DatePiece::Timezone,
            Some(other) => return Err(format!("unknown directive %{other} in date pattern")),
            None => return Err("date pattern ends with a lone %".into()),
        };
        if !literal.is_empty() {
            pieces.push(DatePiece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(piece);
    }
    if !literal.is_empty() {
        pieces.push(DatePiece::Literal(literal));
    }
    Ok(pieces)
}

/// The parts of an xs:date, xs:dateTime or xs:time value, as written.
#[derive(Debug, Default, PartialEq, Eq)]
struct DateTimeParts<'a> {
    year: Option<&'a str>,
    month: Option<&'a str>,
    day: Option<&'a str>,
    hour: Option<&'a str>,
    minute: Option<&'a str>,
    second: Option<&'a str>,
    fraction: &'a str,
    timezone: &'a str,
}

fn digits(s: &str, n: usize) -> Option<&str> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

fn in_range(s: &str, low: u32, high: u32) -> bool {
    s.parse::<u32>().is_ok_and(|v| (low..=high).contains(&v))
}

fn split_timezone(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_suffix('Z') {
        return Some((rest, "Z"));
    }
    // `±hh:mm` is six bytes at the end; a date's own `-` separators come earlier.
    if s.len() >= 6 {
        let at = s.len() - 6;
        let tz = s.get(at..)?;
        let bytes = tz.as_bytes();
        if (bytes.first() == Some(&b'+') || bytes.first() == Some(&b'-'))
            && bytes.get(3) == Some(&b':')
            && digits(tz.get(1..3)?, 2).is_some()
            && digits(tz.get(4..6)?, 2).is_some()
        {
            return Some((s.get(..at)?, tz));
        }
    }
    Some((s, ""))
}

fn parse_date(s: &str) -> Option<(&str, &str, &str)> {
    let mut it = s.splitn(3, '-');
    let year = digits(it.next()?, 4)?;
    let month = digits(it.next()?, 2)?;
    let day = digits(it.next()?, 2)?;
    (in_range(month, 1, 12) && in_range(day, 1, 31)).then_some((year, month, day))
}

fn parse_time(s: &str) -> Option<(&str, &str, &str, &str)> {
    let mut it = s.splitn(3, ':');
    let hour = digits(it.next()?, 2)?;
    let minute = digits(it.next()?, 2)?;
    let rest = it.next()?;
    let (second, fraction) = match rest.split_once('.') {
        Some((sec, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => {
            (sec, frac)
        }
        Some(_) => return None,
        None => (rest, ""),
    };
    let second = digits(second, 2)?;
    (in_range(hour, 0, 24) && in_range(minute, 0, 59) && in_range(second, 0, 60))
        .then_some((hour, minute, second, fraction))
}

fn parse_date_time(text: &str) -> Option<DateTimeParts<'_>> {
    let (body, timezone) = split_timezone(text.trim())?;
    let mut parts = DateTimeParts {
        timezone,
        ..DateTimeParts::default()
    };
    if let Some((date, time)) = body.split_once('T') {
        let (y, m, d) = parse_date(date)?;
        let (h, mi, s, f) = parse_time(time)?;
        parts.year = Some(y);
        parts.month = Some(m);
        parts.day = Some(d);
        parts.hour = Some(h);
        parts.minute = Some(mi);
        parts.second = Some(s);
        parts.fraction = f;
    } else if body.contains(':') {
        let (h, mi, s, f) = parse_time(body)?;
        parts.hour = Some(h);
        parts.minute = Some(mi);
        parts.second = Some(s);
        parts.fraction = f;
    } else {
        let (y, m, d) = parse_date(body)?;
        parts.year = Some(y);
        parts.month = Some(m);
        parts.day = Some(d);
    }
    Some(parts)
}

/// Formats an xs:date / xs:dateTime / xs:time; `None` when the value is none of them or
/// lacks a part the pattern needs (a time directive on a plain date).
pub fn format_date(value: &str, pattern: &[DatePiece]) -> Option<String> {
    let parts = parse_date_time(value)?;
    let mut out = String::with_capacity(value.len() + 4);
    for piece in pattern {
        if (piece.needs_date() && parts.year.is_none())
            || (piece.needs_time() && parts.hour.is_none())
        {
            return None;
        }
        match piece {
            DatePiece::Literal(text) => out.push_str(text),
            DatePiece::Year => out.push_str(parts.year?),
            DatePiece::YearTwoDigits => out.push_str(parts.year?.get(2..)?),
            DatePiece::Month => out.push_str(parts.month?),
            DatePiece::Day => out.push_str(parts.day?),
            DatePiece::DayUnpadded => out.push_str(parts.day?.trim_start_matches('0')),
            DatePiece::Hour => out.push_str(parts.hour?),
            DatePiece::Minute => out.push_str(parts.minute?),
            DatePiece::Second => out.push_str(parts.second?),
            DatePiece::Fraction => out.push_str(parts.fraction),
            DatePiece::Timezone => out.push_str(parts.timezone),
        }
    }
    Some(out)
}

pub fn is_date(value: &str) -> bool {
    parse_date_time(value).is_some_and(|p| p.year.is_some() && p.hour.is_none())
}

pub fn is_date_time(value: &str) -> bool {
    parse_date_time(value).is_some_and(|p| p.year.is_some() && p.hour.is_some())
}

/// A decimal as sign, integer digits and fraction digits (no leading zeros kept).
struct Decimal {
    negative: bool,
    integer: String,
    fraction: String,
}

/// Parses xs:decimal lexical form (`-1.50`, `+.5`, `3.`).
fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
    if integer.is_empty() && fraction.is_empty() {
        return None;
    }
    if !integer
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let integer = integer.trim_start_matches('0');
    Some(Decimal {
        negative,
        integer: if integer.is_empty() {
            "0".into()
        } else {
            integer.into()
        },
        fraction: fraction.into(),
    })
}

/// Parses xs:decimal, or xs:double/xs:float with an exponent (the latter through f64, the
/// only place a float is involved; finite values only).
fn parse_number(text: &str) -> Option<Decimal> {
    if let Some(d) = parse_decimal(text) {
        return Some(d);
    }
    let t = text.trim();
    if !t.contains(['e', 'E']) {
        return None;
    }
    let value: f64 = t.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    parse_decimal(&format!("{value}"))
}

/// Rounds half away from zero to `decimals` places and writes with the given separators.
pub fn format_number(
    text: &str,
    decimals: usize,
    decimal_separator: &str,
    grouping_separator: &str,
) -> Option<String> {
    let d = parse_number(text)?;
    let mut digits: Vec<u8> = d.integer.bytes().map(|b| b - b'0').collect();
    let mut fraction: Vec<u8> = d.fraction.bytes().map(|b| b - b'0').collect();
    let round_up = fraction.get(decimals).is_some_and(|&next| next >= 5);
    fraction.resize(decimals, 0);
    digits.extend_from_slice(&fraction);
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            match digits.get_mut(i) {
                Some(digit) if *digit == 9 => *digit = 0,
                Some(digit) => {
                    *digit += 1;
                    break;
                }
                None => break,
            }
        }
    }
    // A carry out of the top digit made the integer part one digit longer.
    let (int_digits, frac_digits) = digits.split_at(digits.len().saturating_sub(decimals));
    let is_zero = digits.iter().all(|&x| x == 0);
    let mut out = String::new();
    if d.negative && !is_zero {
        out.push('-');
    }
    for (i, digit) in int_digits.iter().enumerate() {
        if i > 0 && (int_digits.len() - i) % 3 == 0 {
            out.push_str(grouping_separator);
        }
        out.push(char::from(b'0' + digit));
    }
    if decimals > 0 {
        out.push_str(decimal_separator);
        out.extend(frac_digits.iter().map(|d| char::from(b'0' + d)));
    }
    Some(out)
}

/// The JSON text of an xs:decimal/double lexical value, keeping its digits (no float
/// round trip): `+1.50` -> `1.50`, `.5` -> `0.5`, `3.` -> `3`, `1E3` -> `1E3`.
pub fn json_number(text: &str) -> Option<String> {
    let t = text.trim();
    if let Some(d) = parse_decimal(t) {
        let mut out = String::new();
        if d.negative {
            out.push('-');
        }
        out.push_str(&d.integer);
        if !d.fraction.is_empty() {
            out.push('.');
            out.push_str(&d.fraction);
        }
        return Some(out);
    }
    // Exponent forms: valid JSON already when they parse as a finite f64 and match JSON's
    // grammar after normalizing the mantissa.
    let (mantissa, exponent) = t.split_once(['e', 'E'])?;
    let m = json_number(mantissa)?;
    let exp_ok = {
        let e = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    };
    (exp_ok && t.parse::<f64>().is_ok_and(f64::is_finite)).then(|| format!("{m}e{exponent}"))
}

/// The JSON text of an xs:integer lexical value.
pub fn json_integer(text: &str) -> Option<String> {
    let t = text.trim();
    let d = parse_decimal(t)?;
    if t.contains('.') {
        return None;
    }
    Some(if d.negative && d.integer != "0" {
        format!("-{}", d.integer)
    } else {
        d.integer
    })
}

/// xs:boolean: `true`/`1` and `false`/`0`.
pub fn boolean(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(value: &str, pattern: &str) -> Option<String> {
        format_date(value, &parse_date_pattern(pattern).expect("pattern"))
    }

    #[test]
    fn dates_and_times_reformat() {
        assert_eq!(fmt("2020-07-24", "%d.%m.%Y").as_deref(), Some("24.07.2020"));
        assert_eq!(
            fmt("2026-11-25T09:30:00+01:00", "%d.%m.%Y %H:%M %z").as_deref(),
            Some("25.11.2026 09:30 +01:00")
        );
        assert_eq!(
            fmt("2020-07-24T17:21:25.5Z", "%y/%e %S.%f%z 100%%").as_deref(),
            Some("20/24 25.5Z 100%")
        );
        assert_eq!(fmt("17:21:25", "%H.%M").as_deref(), Some("17.21"));
        // A time directive needs a time; a date directive needs a date.
        assert_eq!(fmt("2020-07-24", "%H"), None);
        assert_eq!(fmt("17:21:25", "%Y"), None);
        assert_eq!(fmt("24.07.2020", "%Y"), None);
        assert_eq!(fmt("2020-13-01", "%Y"), None);
        assert!(parse_date_pattern("%Q").is_err());
        assert!(parse_date_pattern("abc%").is_err());
        assert!(is_date("2020-07-24") && !is_date("2020-07-24T00:00:00"));
        assert!(is_date_time("2020-07-24T00:00:00") && !is_date_time("x"));
    }

    #[test]
    fn numbers_round_half_away_from_zero_and_group() {
        let f = |v, n, d, g| format_number(v, n, d, g);
        assert_eq!(f("485000.00", 2, ",", ".").as_deref(), Some("485.000,00"));
        assert_eq!(
            f("1234567.891", 1, ".", ",").as_deref(),
            Some("1,234,567.9")
        );
        assert_eq!(f("999.995", 2, ".", "").as_deref(), Some("1000.00"));
        assert_eq!(f("-0.004", 2, ".", "").as_deref(), Some("0.00"));
        assert_eq!(f("-2.5", 0, ".", "").as_deref(), Some("-3"));
        assert_eq!(f("+.5", 1, ",", "").as_deref(), Some("0,5"));
        assert_eq!(f("1.5E3", 0, ".", "'").as_deref(), Some("1'500"));
        assert_eq!(f("abc", 2, ".", ""), None);
        assert_eq!(f("", 2, ".", ""), None);
        assert_eq!(f("1.2.3", 2, ".", ""), None);
    }

    #[test]
    fn json_numbers_keep_digits() {
        assert_eq!(json_number("485000.00").as_deref(), Some("485000.00"));
        assert_eq!(json_number(" +007.50 ").as_deref(), Some("7.50"));
        assert_eq!(json_number(".5").as_deref(), Some("0.5"));
        assert_eq!(json_number("3.").as_deref(), Some("3"));
        assert_eq!(json_number("1.5E-3").as_deref(), Some("1.5e-3"));
        assert_eq!(json_number("NaN"), None);
        assert_eq!(json_number("INF"), None);
        assert_eq!(json_number("1e"), None);
        assert_eq!(json_integer("0042").as_deref(), Some("42"));
        assert_eq!(json_integer("-0").as_deref(), Some("0"));
        assert_eq!(json_integer("2.0"), None);
        assert_eq!(boolean(" 1 "), Some(true));
        assert_eq!(boolean("false"), Some(false));
        assert_eq!(boolean("yes"), None);
        for text in ["485000.00", "7.50", "0.5", "1.5e-3", "42"] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_ok(),
                "{text}"
            );
        }
    }
}
