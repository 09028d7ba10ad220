//! The XML declaration `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` (XML 1.0 §2.8).

use super::chars::is_whitespace;
use super::error::XmlErrorKind;

/// Checks a complete declaration `decl` (from `<?xml` to `?>`). On failure returns the byte
/// offset into `decl` where the problem is, and what it is.
pub(super) fn check_declaration(decl: &str) -> Result<(), (usize, XmlErrorKind)> {
    let invalid = |at: usize, msg: String| Err((at, XmlErrorKind::InvalidXmlDeclaration(msg)));
    let body_end = decl.len().saturating_sub(2); // before `?>`
    let b = decl.as_bytes();
    let mut i = 5; // after `<?xml`
    let order = ["version", "encoding", "standalone"];
    let mut next = 0; // index into `order` of the first pseudo-attribute still allowed
    loop {
        let ws_start = i;
        while i < body_end && b.get(i).is_some_and(|&c| is_whitespace(c)) {
            i += 1;
        }
        if i >= body_end {
            break;
        }
        if i == ws_start {
            return invalid(
                i,
                "expected whitespace before the next pseudo-attribute".into(),
            );
        }
        let name_start = i;
        while b.get(i).is_some_and(u8::is_ascii_lowercase) {
            i += 1;
        }
        let name = decl.get(name_start..i).unwrap_or("");
        let Some(slot) = order.iter().position(|&n| n == name) else {
            return invalid(
                name_start,
                format!(
                    "unexpected '{}'; expected version, then optionally encoding and standalone",
                    decl.get(name_start..body_end)
                        .unwrap_or("")
                        .chars()
                        .take(20)
                        .collect::<String>()
                ),
            );
        };
        if slot < next || (next == 0 && slot != 0) {
            return invalid(
                name_start,
                format!("'{name}' out of order; expected version, then optionally encoding and standalone"),
            );
        }
        next = slot + 1;
        while b.get(i).is_some_and(|&c| is_whitespace(c)) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            return invalid(i, format!("expected '=' after '{name}'"));
        }
        i += 1;
        while b.get(i).is_some_and(|&c| is_whitespace(c)) {
            i += 1;
        }
        let quote = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return invalid(i, format!("expected a quoted value for '{name}'")),
        };
        let value_start = i + 1;
        let Some(len) = b
            .get(value_start..body_end)
            .and_then(|v| v.iter().position(|&c| c == quote))
        else {
            return invalid(i, format!("value of '{name}' is not closed"));
        };
        let value = decl.get(value_start..value_start + len).unwrap_or("");
        i = value_start + len + 1;
        match slot {
            0 => {
                let ok = value
                    .strip_prefix("1.")
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
                if !ok {
                    return invalid(
                        value_start,
                        format!("version '{value}' is not supported; expected 1.0"),
                    );
                }
            }
            1 => {
                let well_formed = value.bytes().enumerate().all(|(k, c)| {
                    c.is_ascii_alphabetic()
                        || (k > 0 && (c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')))
                });
                if value.is_empty() || !well_formed {
                    return invalid(value_start, format!("malformed encoding name '{value}'"));
                }
                if !value.eq_ignore_ascii_case("UTF-8") {
                    return Err((
                        value_start,
                        XmlErrorKind::UnsupportedEncoding(value.to_owned()),
                    ));
                }
            }
            _ => {
                if value != "yes" && value != "no" {
                    return invalid(
                        value_start,
                        format!("standalone must be 'yes' or 'no', found '{value}'"),
                    );
                }
            }
        }
    }
    if next == 0 {
        return invalid(body_end, "the version pseudo-attribute is missing".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(decl: &str) -> Option<(usize, XmlErrorKind)> {
        check_declaration(decl).err()
    }

    #[test]
    fn accepted() {
        for d in [
            r#"<?xml version="1.0"?>"#,
            r#"<?xml version='1.0' encoding='utf-8'?>"#,
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>"#,
            "<?xml\tversion = \"1.1\"\nstandalone='no'?>",
        ] {
            assert_eq!(kind(d), None, "{d}");
        }
    }

    #[test]
    fn refused() {
        let cases = [
            (r#"<?xml?>"#, 5),
            (r#"<?xml encoding="UTF-8"?>"#, 6),
            (r#"<?xml version="2.0"?>"#, 15),
            (r#"<?xml version="1.0"encoding="UTF-8"?>"#, 19),
            (
                r#"<?xml version="1.0" standalone="yes" encoding="UTF-8"?>"#,
                37,
            ),
            (r#"<?xml version="1.0" standalone="maybe"?>"#, 32),
            (r#"<?xml version="1.0" foo="bar"?>"#, 20),
            (r#"<?xml version=1.0?>"#, 14),
            (r#"<?xml version="1.0?>"#, 14),
            (r#"<?xml version"1.0"?>"#, 13),
            (r#"<?xml version="1.0" encoding="8bit"?>"#, 30),
        ];
        for (d, at) in cases {
            let (got, k) = kind(d).unwrap_or_else(|| panic!("accepted {d}"));
            assert_eq!(got, at, "{d}: {k}");
            assert!(matches!(k, XmlErrorKind::InvalidXmlDeclaration(_)), "{d}");
        }
        assert_eq!(
            kind(r#"<?xml version="1.0" encoding="ISO-8859-1"?>"#),
            Some((30, XmlErrorKind::UnsupportedEncoding("ISO-8859-1".into())))
        );
    }
}
