//! Conditional inclusion: the version-control attributes `vc:minVersion`, `vc:maxVersion`,
//! `vc:typeAvailable`, `vc:typeUnavailable`, `vc:facetAvailable` and `vc:facetUnavailable`
//! (namespace `http://www.w3.org/2007/XMLSchema-versioning`, XSD 1.1 Part 1, 4.2.2).
//!
//! XSD 1.1 defines them as a filter applied to a schema document before anything else reads
//! it, so that one document can serve processors of different versions; the W3C suite expects
//! XSD 1.0 processors to apply it too (its VC test set is marked for 1.0 and 1.1). This engine
//! is an XSD 1.0 processor: version 1.0, the XSD 1.0 built-in types, the twelve XSD 1.0
//! facets. An element whose conditions fail is dropped with everything inside it.
//!
//! A value that is not a decimal (the versions) or not a list of resolvable QNames (types and
//! facets) leaves its attribute without effect, as an XSD 1.0 processor that knows nothing of
//! the namespace would do; empty lists have no effect either.
//!
//! Documents without the namespace are not touched (a substring test); the filter keeps byte
//! offsets, so every later error position still points into the original text.

use std::cmp::Ordering;
use std::ops::Range;

use roxmltree::Node;

use super::components::TypeRef;
use super::document::{is_ncname, FACETS};
use super::XSD_NS;

/// The version-control namespace.
pub(crate) const VC_NS: &str = "http://www.w3.org/2007/XMLSchema-versioning";

/// The document with every excluded element blanked out (every byte but line ends becomes a
/// space), or `None` when nothing is excluded or the text is not well-formed (the document
/// builder reports that).
pub(crate) fn filter(text: &str) -> Option<String> {
    // memchr's SIMD search: every schema document goes through here, and str::contains
    // took a visible share of loading XBau's megabyte of text.
    memchr::memmem::find(text.as_bytes(), VC_NS.as_bytes())?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).ok()?;
    let root = doc.root_element();
    let mut excluded: Vec<Range<usize>> = Vec::new();
    if included(root) {
        let mut stack: Vec<Node> = root.children().filter(Node::is_element).collect();
        while let Some(node) = stack.pop() {
            if included(node) {
                stack.extend(node.children().filter(Node::is_element));
            } else {
                excluded.push(node.range());
            }
        }
    } else if let (Some(first), Some(last)) = (root.first_child(), root.last_child()) {
        // An excluded xs:schema leaves a schema document without components.
        excluded.push(first.range().start..last.range().end);
    }
    if excluded.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in excluded {
        for b in bytes.get_mut(range).into_iter().flatten() {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(bytes).ok()
}

/// Whether every version-control condition on `node` holds for this processor.
fn included(node: Node) -> bool {
    let vc = |name: &str| node.attribute((VC_NS, name));
    let version = |name: &str| vc(name).and_then(compare_with_1_0);
    if version("minVersion") == Some(Ordering::Greater) {
        return false;
    }
    if version("maxVersion").is_some_and(|o| o != Ordering::Greater) {
        return false;
    }
    let available = |name: &str, known: fn(&str) -> bool| -> Option<Vec<bool>> {
        let names = qnames(node, vc(name)?)?;
        (!names.is_empty()).then(|| {
            names
                .iter()
                .map(|(ns, local)| *ns == Some(XSD_NS) && known(local))
                .collect()
        })
    };
    let is_type = |local: &str| TypeRef::builtin_named(local).is_some();
    let is_facet = |local: &str| FACETS.contains(&local);
    if available("typeAvailable", is_type).is_some_and(|a| a.contains(&false)) {
        return false;
    }
    if available("typeUnavailable", is_type).is_some_and(|a| !a.contains(&false)) {
        return false;
    }
    if available("facetAvailable", is_facet).is_some_and(|a| a.contains(&false)) {
        return false;
    }
    if available("facetUnavailable", is_facet).is_some_and(|a| !a.contains(&false)) {
        return false;
    }
    true
}

/// The QNames of a whitespace-separated list, resolved in the scope of `node`; `None` if one
/// is not a QName or has an undeclared prefix.
fn qnames<'a>(node: Node<'a, '_>, value: &'a str) -> Option<Vec<(Option<&'a str>, &'a str)>> {
    value
        .split_ascii_whitespace()
        .map(|token| {
            let (prefix, local) = match token.split_once(':') {
                Some((p, l)) => (Some(p), l),
                None => (None, token),
            };
            if !is_ncname(local) || prefix.is_some_and(|p| !is_ncname(p)) {
                return None;
            }
            let namespace = match prefix {
                Some(p) => Some(node.lookup_namespace_uri(Some(p))?),
                None => node.lookup_namespace_uri(None),
            };
            Some((namespace, local))
        })
        .collect()
}

/// How an xs:decimal literal compares with 1.0 (exactly: no rounding); `None` if it is not a
/// decimal literal.
fn compare_with_1_0(literal: &str) -> Option<Ordering> {
    let s = literal.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() && fraction.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    if negative {
        return Some(Ordering::Less);
    }
    let integer = integer.trim_start_matches('0');
    let fraction_is_zero = fraction.bytes().all(|b| b == b'0');
    Some(match integer {
        "" => Ordering::Less,
        "1" if fraction_is_zero => Ordering::Equal,
        _ => Ordering::Greater,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
        xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning" xmlns:my="urn:my">"#;

    /// The names of the top-level declarations left after filtering.
    fn kept(body: &str) -> Vec<String> {
        let text = format!("{HEAD}\n{body}\n</xs:schema>");
        let filtered = filter(&text);
        if let Some(f) = &filtered {
            assert_eq!(f.len(), text.len());
            assert_eq!(f.lines().count(), text.lines().count());
        }
        let out = filtered.unwrap_or(text);
        let doc = roxmltree::Document::parse(&out).unwrap();
        doc.root_element()
            .children()
            .filter(Node::is_element)
            .filter_map(|n| n.attribute("name").map(str::to_owned))
            .collect()
    }

    #[test]
    fn versions_compare_exactly_with_1_0() {
        assert_eq!(compare_with_1_0("1.0"), Some(Ordering::Equal));
        assert_eq!(compare_with_1_0(" 01.000 "), Some(Ordering::Equal));
        assert_eq!(compare_with_1_0("1"), Some(Ordering::Equal));
        assert_eq!(compare_with_1_0("1.1"), Some(Ordering::Greater));
        assert_eq!(
            compare_with_1_0("1.0000000000000000000001"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_with_1_0("0.9"), Some(Ordering::Less));
        assert_eq!(compare_with_1_0(".5"), Some(Ordering::Less));
        assert_eq!(compare_with_1_0("-3"), Some(Ordering::Less));
        assert_eq!(compare_with_1_0("3.2"), Some(Ordering::Greater));
        for bad in ["10g", "1.1.3", "", ".", "1,0"] {
            assert_eq!(compare_with_1_0(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_select_elements() {
        let body = r#"
          <xs:element name="min10" vc:minVersion="1.0"/>
          <xs:element name="min11" vc:minVersion="1.1"/>
          <xs:element name="max10" vc:maxVersion="1.0"/>
          <xs:element name="max11" vc:maxVersion="1.1"/>
          <xs:element name="between" vc:minVersion="0.9" vc:maxVersion="3.2"/>
          <xs:element name="malformed" vc:minVersion="10g"/>
          <xs:element name="plain"/>"#;
        assert_eq!(
            kept(body),
            ["min10", "max11", "between", "malformed", "plain"]
        );
    }

    #[test]
    fn types_and_facets_available_to_xsd_1_0() {
        let body = r#"
          <xs:element name="int" vc:typeAvailable="xs:int"/>
          <xs:element name="error" vc:typeAvailable="xs:error"/>
          <xs:element name="mixed" vc:typeAvailable="xs:integer xs:bananaSkin"/>
          <xs:element name="user" vc:typeAvailable="my:myInt"/>
          <xs:element name="no-error" vc:typeUnavailable="xs:error"/>
          <xs:element name="no-int" vc:typeUnavailable="xs:int xs:integer"/>
          <xs:element name="some-missing" vc:typeUnavailable=" vc:list-of-QNames xs:integer "/>
          <xs:element name="pattern" vc:facetAvailable="xs:pattern"/>
          <xs:element name="assertion" vc:facetAvailable="xs:assertion"/>
          <xs:element name="no-assertion" vc:facetUnavailable="xs:assertion"/>
          <xs:element name="no-minLength" vc:facetUnavailable="xs:minLength"/>
          <xs:element name="empty" vc:typeAvailable="" vc:facetUnavailable=" "/>
          <xs:element name="not-qnames" vc:typeAvailable="xs:integer 23"/>
          <xs:element name="undeclared" vc:typeAvailable="zz:integer"/>"#;
        assert_eq!(
            kept(body),
            [
                "int",
                "no-error",
                "some-missing",
                "pattern",
                "no-assertion",
                "empty",
                "not-qnames",
                "undeclared"
            ]
        );
    }

    #[test]
    fn nested_exclusions_and_excluded_schema_element() {
        let text = format!(
            r#"{HEAD}
  <xs:complexType name="t">
    <xs:sequence/>
    <xs:assert test="@x > 1" vc:minVersion="1.1"><xs:annotation/></xs:assert>
    <xs:attribute name="x" type="xs:int"/>
  </xs:complexType>
</xs:schema>"#
        );
        let filtered = filter(&text).unwrap();
        assert!(!filtered.contains("assert"));
        assert!(filtered.contains(r#"<xs:attribute name="x" type="xs:int"/>"#));
        // The attribute stays on line 6.
        assert_eq!(
            filtered.lines().nth(5).map(str::trim),
            Some(r#"<xs:attribute name="x" type="xs:int"/>"#)
        );

        let empty = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
            xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning" vc:maxVersion="0.9">
          <xs:include schemaLocation="other.xsd"/>
        </xs:schema>"#;
        let filtered = filter(empty).unwrap();
        let doc = roxmltree::Document::parse(&filtered).unwrap();
        assert_eq!(
            doc.root_element()
                .children()
                .filter(Node::is_element)
                .count(),
            0
        );
    }

    #[test]
    fn documents_without_the_namespace_are_not_touched() {
        let text = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" vc:minVersion="9"/>"#;
        assert_eq!(filter(text), None);
        assert_eq!(filter("<not well-formed"), None);
    }
}
