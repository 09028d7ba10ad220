//! The mapped result and how it is written: JSON (typed scalars, escaping) or XML
//! (namespaces, escaping). Field order is the mapping file's, always.

use super::format;
use super::plan::{FieldContent, OutputFormat, Plan, ValueType};

/// A mapped value. Records hold (field id, value) for the fields that have a value, in plan
/// order; group lists hold one record per matched source element, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Scalar(String),
    Record(Vec<(usize, Item)>),
    List(Vec<Item>),
}

impl Item {
    /// Bytes of text held, for the evaluator's buffer accounting.
    pub fn byte_size(&self) -> usize {
        match self {
            Item::Scalar(s) => s.len(),
            Item::Record(entries) => entries.iter().map(|(_, item)| item.byte_size()).sum(),
            Item::List(items) => items.iter().map(Item::byte_size).sum(),
        }
    }
}

/// Checks and normalizes a value for its type. `Ok(None)`: empty text for a non-string
/// type, which counts as missing (an empty `<baukosten/>` is no number, but not wrong either).
pub(crate) fn typed(text: String, value_type: ValueType) -> Result<Option<String>, &'static str> {
    if value_type != ValueType::String && text.trim().is_empty() {
        return Ok(None);
    }
    let checked = match value_type {
        ValueType::String => Some(text),
        ValueType::Number => format::json_number(&text),
        ValueType::Integer => format::json_integer(&text),
        ValueType::Boolean => format::boolean(&text).map(|b| b.to_string()),
        ValueType::Date => format::is_date(&text).then(|| text.trim().to_owned()),
        ValueType::DateTime => format::is_date_time(&text).then(|| text.trim().to_owned()),
    };
    checked.map(Some).ok_or(match value_type {
        ValueType::String => "a string",
        ValueType::Number => "a number (xs:decimal or xs:double)",
        ValueType::Integer => "an integer",
        ValueType::Boolean => "a boolean (true, false, 1 or 0)",
        ValueType::Date => "an xs:date (YYYY-MM-DD)",
        ValueType::DateTime => "an xs:dateTime",
    })
}

pub(crate) fn write(plan: &Plan, item: &Item) -> Vec<u8> {
    let mut out = String::with_capacity(item.byte_size() * 2 + 64);
    match &plan.output {
        OutputFormat::Json => {
            let mut writer = JsonWriter {
                plan,
                out: &mut out,
                indent: plan.indent,
            };
            writer.item(item, None, 0);
        }
        OutputFormat::Xml { root, namespaces } => {
            let mut writer = XmlWriter {
                plan,
                out: &mut out,
                indent: plan.indent,
            };
            out_declaration(writer.out);
            writer.element(root, item, 0, namespaces);
        }
    }
    out.push('\n');
    out.into_bytes()
}

fn out_declaration(out: &mut String) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
}

struct JsonWriter<'a> {
    plan: &'a Plan,
    out: &'a mut String,
    indent: usize,
}

impl JsonWriter<'_> {
    fn newline(&mut self, depth: usize) {
        if self.indent > 0 {
            newline(self.out, self.indent * depth);
        }
    }

    fn item(&mut self, item: &Item, field: Option<usize>, depth: usize) {
        match item {
            Item::Scalar(text) => {
                let value_type = field
                    .and_then(|f| self.plan.fields.get(f))
                    .map_or(ValueType::String, |f| f.value_type);
                match value_type {
                    ValueType::Number | ValueType::Integer | ValueType::Boolean => {
                        self.out.push_str(text)
                    }
                    _ => json_string(self.out, text),
                }
            }
            Item::Record(entries) => {
                self.out.push('{');
                for (i, (id, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    let name = self.plan.fields.get(*id).map_or("", |f| f.name.as_str());
                    json_string(self.out, name);
                    self.out.push(':');
                    if self.indent > 0 {
                        self.out.push(' ');
                    }
                    self.item(value, Some(*id), depth + 1);
                }
                if !entries.is_empty() {
                    self.newline(depth);
                }
                self.out.push('}');
            }
            Item::List(items) => {
                self.out.push('[');
                for (i, value) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    self.item(value, field, depth + 1);
                }
                if !items.is_empty() {
                    self.newline(depth);
                }
                self.out.push(']');
            }
        }
    }
}

/// Writes `text` as a JSON string (RFC 8259: quote, backslash and controls escaped). Runs
/// that need no escaping are copied whole, and found eight bytes at a time: mapped values are
/// mostly plain text (names, codes, base64).
pub(crate) fn json_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes
            .get(i..i + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            Some(word) if !needs_json_escape(u64::from_le_bytes(word)) => {
                i += 8;
                continue;
            }
            Some(_) => i + 8,
            None => i + 1,
        };
        for (offset, &byte) in bytes.get(i..end).unwrap_or_default().iter().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            let at = i + offset;
            // Escaped bytes are ASCII, so `plain..at` and `at + 1..` are on char boundaries.
            out.push_str(text.get(plain..at).unwrap_or_default());
            if escape.is_empty() {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            } else {
                out.push_str(escape);
            }
            plain = at + 1;
        }
        i = end;
    }
    out.push_str(text.get(plain..).unwrap_or_default());
    out.push('"');
}

/// Whether any byte of `word` needs escaping in a JSON string: a control character (below
/// 0x20), `"` or `\`. The "has less than" and "has zero byte" tests of Bit Twiddling Hacks,
/// exact for whether any byte matches.
fn needs_json_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    (control | quote | backslash) != 0
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Copies `text` to `out`, replacing the ASCII characters `escape` names; runs without any are
/// copied whole.
fn escaped(out: &mut String, text: &str, escape: impl Fn(u8) -> Option<&'static str>) {
    let mut plain = 0;
    for (i, byte) in text.bytes().enumerate() {
        if let Some(replacement) = escape(byte) {
            // Escaped bytes are ASCII, so these are char boundaries.
            out.push_str(text.get(plain..i).unwrap_or_default());
            out.push_str(replacement);
            plain = i + 1;
        }
    }
    out.push_str(text.get(plain..).unwrap_or_default());
}

/// Escapes character data; `>` too, so `]]>` can never appear, and CR as a reference so a
/// parser's line-end normalization does not turn it into LF.
pub(crate) fn xml_text(out: &mut String, text: &str) {
    escaped(out, text, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#13;"),
        _ => None,
    });
}

/// Escapes an attribute value in double quotes; whitespace controls as references so that
/// attribute-value normalization keeps them.
pub(crate) fn xml_attribute(out: &mut String, text: &str) {
    escaped(out, text, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#9;"),
        b'\n' => Some("&#10;"),
        b'\r' => Some("&#13;"),
        _ => None,
    });
}

/// A line break and `width` spaces, without a push per space.
fn newline(out: &mut String, width: usize) {
    const SPACES: &str = "                                                                ";
    out.push('\n');
    let mut left = width;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(SPACES.get(..n).unwrap_or_default());
        left -= n;
    }
}

struct XmlWriter<'a> {
    plan: &'a Plan,
    out: &'a mut String,
    indent: usize,
}

impl XmlWriter<'_> {
    fn newline(&mut self, depth: usize) {
        if self.indent > 0 {
            newline(self.out, self.indent * depth);
        }
    }

    /// Writes `<name ...>` for `item`; `declarations` only on the root.
    fn element(
        &mut self,
        name: &str,
        item: &Item,
        depth: usize,
        declarations: &[(String, String)],
    ) {
        self.newline(depth);
        self.out.push('<');
        self.out.push_str(name);
        for (prefix, uri) in declarations {
            if prefix.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(prefix);
                self.out.push_str("=\"");
            }
            xml_attribute(self.out, uri);
            self.out.push('"');
        }
        match item {
            Item::Scalar(text) => {
                if text.is_empty() {
                    self.out.push_str("/>");
                } else {
                    self.out.push('>');
                    xml_text(self.out, text);
                    self.close(name);
                }
            }
            Item::Record(entries) => {
                let attribute =
                    |id: &usize| self.plan.fields.get(*id).is_some_and(|f| f.xml_attribute);
                let (attributes, children): (Vec<_>, Vec<_>) =
                    entries.iter().partition(|(id, _)| attribute(id));
                for (id, value) in attributes {
                    if let (Some(field), Item::Scalar(text)) = (self.plan.fields.get(*id), value) {
                        self.out.push(' ');
                        self.out.push_str(field.name.trim_start_matches('@'));
                        self.out.push_str("=\"");
                        xml_attribute(self.out, text);
                        self.out.push('"');
                    }
                }
                if children.is_empty() {
                    self.out.push_str("/>");
                    return;
                }
                self.out.push('>');
                for (id, value) in children {
                    let Some(field) = self.plan.fields.get(*id) else {
                        continue;
                    };
                    match (value, &field.content) {
                        (Item::List(items), FieldContent::Group { .. }) => {
                            for each in items {
                                self.element(&field.name, each, depth + 1, &[]);
                            }
                        }
                        _ => self.element(&field.name, value, depth + 1, &[]),
                    }
                }
                self.newline(depth);
                self.close(name);
            }
            Item::List(items) => {
                // A list only appears under its group field; written item by item above.
                self.out.push('>');
                for each in items {
                    self.element(name, each, depth + 1, &[]);
                }
                self.newline(depth);
                self.close(name);
            }
        }
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\nd\te\u{1}f\u{8}\u{c}\rü€😀");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001f\b\f\rü€😀""#);
        let back: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, "a\"b\\c\nd\te\u{1}f\u{8}\u{c}\rü€😀");
        // Escapes at both ends, next to multi-byte characters, and the highest control.
        for text in ["\u{1f}ä\"", "\"é\u{0}", "\u{7f}plain", "", "\\\\"] {
            let mut out = String::new();
            json_string(&mut out, text);
            let back: String = serde_json::from_str(&out).expect("valid JSON");
            assert_eq!(back, text, "{out}");
        }
    }

    #[test]
    fn the_word_test_finds_exactly_the_bytes_json_escapes() {
        for byte in 0..=255u8 {
            let wanted = byte < 0x20 || byte == b'"' || byte == b'\\';
            for position in 0..8 {
                let mut word = [b'a'; 8];
                word[position] = byte;
                assert_eq!(
                    needs_json_escape(u64::from_le_bytes(word)),
                    wanted,
                    "byte {byte:#x} at {position}"
                );
            }
        }
        // Long runs with escapes in every position of a word, and multi-byte characters.
        let text = "0123456789abcdef\"ü\n€\\😀\u{1}xyz".repeat(5);
        let mut out = String::new();
        json_string(&mut out, &text);
        let back: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, text);
    }

    #[test]
    fn indentation_is_spaces_of_any_width() {
        let mut out = String::new();
        newline(&mut out, 70);
        assert_eq!(out, format!("\n{}", " ".repeat(70)));
    }

    #[test]
    fn xml_escaping_round_trips_through_a_parser() {
        let mut text = String::new();
        xml_text(&mut text, "a<b>&c]]>\rd");
        assert_eq!(text, "a&lt;b&gt;&amp;c]]&gt;&#13;d");
        let mut attr = String::new();
        xml_attribute(&mut attr, "\"x\"\t<&>\n");
        assert_eq!(attr, "&quot;x&quot;&#9;&lt;&amp;&gt;&#10;");
        let doc = format!("<r a=\"{attr}\">{text}</r>");
        let mut reader = xsd_validator::reader::Reader::from_slice(
            doc.as_bytes(),
            xsd_validator::reader::Limits::default(),
        );
        let mut seen_attr = None;
        let mut seen_text = String::new();
        loop {
            match reader.next_event().expect("well-formed") {
                xsd_validator::reader::Event::Start(tag) => {
                    seen_attr = tag.attribute(None, "a").map(|a| a.value.to_string());
                }
                xsd_validator::reader::Event::Text(t) => seen_text.push_str(&t),
                xsd_validator::reader::Event::End(_) => {}
                xsd_validator::reader::Event::Eof => break,
            }
        }
        assert_eq!(seen_attr.as_deref(), Some("\"x\"\t<&>\n"));
        assert_eq!(seen_text, "a<b>&c]]>\rd");
    }

    #[test]
    fn typing_checks_and_normalizes() {
        assert_eq!(
            typed("+1.50".into(), ValueType::Number),
            Ok(Some("1.50".into()))
        );
        assert_eq!(
            typed("007".into(), ValueType::Integer),
            Ok(Some("7".into()))
        );
        assert_eq!(
            typed("1".into(), ValueType::Boolean),
            Ok(Some("true".into()))
        );
        assert_eq!(typed(" ".into(), ValueType::Number), Ok(None));
        assert_eq!(typed(" ".into(), ValueType::String), Ok(Some(" ".into())));
        assert_eq!(
            typed("2020-07-24".into(), ValueType::Date),
            Ok(Some("2020-07-24".into()))
        );
        assert!(typed("24.07.2020".into(), ValueType::Date).is_err());
        assert!(typed("2020-07-24".into(), ValueType::DateTime).is_err());
        assert!(typed("zwölf".into(), ValueType::Number).is_err());
        assert!(typed("1.5".into(), ValueType::Integer).is_err());
        assert!(typed("ja".into(), ValueType::Boolean).is_err());
    }
}
