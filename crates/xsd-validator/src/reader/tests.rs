use std::borrow::Cow;
use std::io::Read;
use std::ops::ControlFlow;

use super::*;
use crate::test_rng::Rng;

thread_local! {
    /// Makes the reader of this thread take the general path for every start tag (the
    /// tokenizer, then `start_tag`), to compare the one-pass paths against it.
    pub(super) static GENERAL_PATH_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Renders every event until `Eof` (`S{ns}p:l[a=v]`, `E{ns}p:l`, `T:text`). Also reads the
/// input through [`EventStream`] with windows of 1 to 16 bytes and with a source that returns
/// one byte per read, and asserts the same events, positions, paths and errors.
fn events_with(input: &[u8], limits: Limits) -> Result<Vec<String>, XmlError> {
    let mut r = Reader::from_slice(input, limits);
    let mut out = Vec::new();
    let mut detailed = Vec::new();
    let result = loop {
        if let Err(e) = r.advance_event() {
            break Err(e);
        }
        let event = r.current_event();
        detailed.push(render_detailed(&r, &event));
        match event {
            Event::Start(s) => {
                let mut line = format!("S{}", render(s.name()));
                for a in s.attributes() {
                    line.push_str(&format!(" {}={}", render(a.name), a.value));
                }
                out.push(line);
            }
            Event::End(e) => out.push(format!("E{}", render(e.name()))),
            Event::Text(t) => out.push(format!("T:{t}")),
            Event::Eof => break Ok(out),
        }
    };
    let expected = (detailed, result.as_ref().err().cloned());
    assert_streams_agree(input, limits, &expected, 1..=16);
    result
}

/// Reads `input` through [`EventStream`] with each window size, with one byte per read and
/// with the default window, and asserts `expected` (what the slice reader reported) each time.
fn assert_streams_agree(
    input: &[u8],
    limits: Limits,
    expected: &Detailed,
    windows: impl IntoIterator<Item = usize>,
) {
    for window in windows {
        let streamed = streamed_events(EventStream::with_window(input, limits, window));
        assert_same(input, &format!("window {window}"), expected, &streamed);
    }
    let streamed = streamed_events(EventStream::with_window(OneByte(input), limits, 8));
    assert_same(input, "one byte per read", expected, &streamed);
    let streamed = streamed_events(EventStream::new(input, limits));
    assert_same(input, "default window", expected, &streamed);
}

/// What the slice reader reports, in the detail [`streamed_events`] gives.
fn slice_detailed(input: &[u8], limits: Limits) -> Detailed {
    let mut r = Reader::from_slice(input, limits);
    let mut detailed = Vec::new();
    loop {
        if let Err(e) = r.advance_event() {
            return (detailed, Some(e));
        }
        let event = r.current_event();
        detailed.push(render_detailed(&r, &event));
        if matches!(event, Event::Eof) {
            return (detailed, None);
        }
    }
}

type Detailed = (Vec<String>, Option<XmlError>);

fn assert_same(input: &[u8], how: &str, expected: &Detailed, streamed: &Detailed) {
    let shown = String::from_utf8_lossy(input);
    assert_eq!(
        expected.0, streamed.0,
        "{shown:?}: events differ when streamed, {how}"
    );
    assert_eq!(
        expected.1, streamed.1,
        "{shown:?}: error differs when streamed, {how}"
    );
}

/// Each event with everything a consumer can ask about it.
fn render_detailed(r: &Reader<'_>, event: &Event<'_>) -> String {
    let mut line = format!(
        "{} @{} +{} d{} {}: ",
        r.position(),
        r.byte_offset(),
        r.element_path(),
        r.depth(),
        r.resolve_prefix("").unwrap_or("-")
    );
    match event {
        Event::Start(s) => {
            line.push_str(&format!(
                "S{} empty={}",
                render(s.name()),
                s.is_empty_element()
            ));
            for a in s.attributes() {
                line.push_str(&format!(
                    " {}={:?}@{}",
                    render(a.name),
                    a.value,
                    r.attribute_position(a)
                ));
            }
            for d in s.namespace_declarations() {
                line.push_str(&format!(" xmlns:{:?}={}", d.prefix, d.uri));
            }
        }
        Event::End(e) => line.push_str(&format!("E{}", render(e.name()))),
        Event::Text(t) => line.push_str(&format!("T:{t:?}")),
        Event::Eof => line.push_str("Eof"),
    }
    line
}

fn streamed_events<R: Read>(stream: EventStream<R>) -> Detailed {
    let mut detailed = Vec::new();
    let result = stream.for_each_event(|r, event| {
        detailed.push(render_detailed(r, &event));
        ControlFlow::Continue(())
    });
    match result {
        Ok(()) => (detailed, None),
        Err(StreamError::Xml(e)) => (detailed, Some(e)),
        Err(StreamError::Io(e)) => panic!("reading from a slice failed: {e}"),
    }
}

/// A source that returns one byte per read.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn render(q: QName<'_>) -> String {
    let ns = q.namespace.map(|n| format!("{{{n}}}")).unwrap_or_default();
    format!("{ns}{q}")
}

fn events(input: &str) -> Vec<String> {
    events_with(input.as_bytes(), Limits::default())
        .unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
}

fn error_with(input: &[u8], limits: Limits) -> XmlError {
    match events_with(input, limits) {
        Ok(ev) => panic!("{:?} accepted: {ev:?}", String::from_utf8_lossy(input)),
        Err(e) => e,
    }
}

fn error(input: &str) -> XmlError {
    error_with(input.as_bytes(), Limits::default())
}

/// Asserts kind, line, column and path of the error for `input`.
fn assert_error(input: &str, kind: XmlErrorKind, line: u32, column: u32, path: &str) {
    assert_error_bytes(
        input.as_bytes(),
        Limits::default(),
        kind,
        line,
        column,
        path,
    );
}

fn assert_error_bytes(
    input: &[u8],
    limits: Limits,
    kind: XmlErrorKind,
    line: u32,
    column: u32,
    path: &str,
) {
    let e = error_with(input, limits);
    let shown = String::from_utf8_lossy(input);
    assert_eq!(e.kind, kind, "{shown:?}: {e}");
    assert_eq!(e.position, Position { line, column }, "{shown:?}: {e}");
    assert_eq!(e.element_path, path, "{shown:?}: {e}");
}

fn syntax(input: &str, line: u32, column: u32, path: &str) {
    let e = error(input);
    assert!(
        matches!(e.kind, XmlErrorKind::Syntax(_)),
        "{input:?}: expected a syntax error, got {e}"
    );
    assert_eq!(e.position, Position { line, column }, "{input:?}: {e}");
    assert_eq!(e.element_path, path, "{input:?}: {e}");
}

// ---- events ---------------------------------------------------------------------------------

#[test]
fn basic_events() {
    assert_eq!(
        events("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>text</a>\n"),
        ["Sa x=1", "Sb", "Eb", "T:text", "Ea"]
    );
}

#[test]
fn self_closing_yields_start_then_end_at_same_position() {
    let mut r = Reader::from_slice(b"<a>\n  <b x='1'/></a>", Limits::default());
    assert!(matches!(r.next_event(), Ok(Event::Start(_))));
    assert!(matches!(r.next_event(), Ok(Event::Text(_))));
    match r.next_event() {
        Ok(Event::Start(s)) => assert!(s.is_empty_element()),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.position(), Position { line: 2, column: 3 });
    assert_eq!(r.depth(), 2);
    assert!(matches!(r.next_event(), Ok(Event::End(_))));
    assert_eq!(r.position(), Position { line: 2, column: 3 });
    assert_eq!(r.depth(), 2);
    assert_eq!(r.element_path(), "/a/b");
    match r.next_event() {
        Ok(Event::End(e)) => assert_eq!(e.name().local, "a"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.depth(), 1);
    assert!(matches!(r.next_event(), Ok(Event::Eof)));
    assert_eq!(r.depth(), 0);
    // Eof is sticky.
    assert!(matches!(r.next_event(), Ok(Event::Eof)));
}

#[test]
fn text_is_coalesced_across_references_cdata_comments_and_pis() {
    assert_eq!(
        events("<a>x&amp;y<![CDATA[<z>&amp;]]><!--c-->w<?pi d?>v&#x41;&#66;</a>"),
        ["Sa", "T:x&y<z>&amp;wvAB", "Ea"]
    );
    // Comments alone produce no text; empty CDATA is no text.
    assert_eq!(events("<a><!--c--><![CDATA[]]></a>"), ["Sa", "Ea"]);
    // Text on both sides of a child stays two events.
    assert_eq!(
        events("<a>1<b/>2</a>"),
        ["Sa", "T:1", "Sb", "Eb", "T:2", "Ea"]
    );
}

#[test]
fn text_borrows_from_input_when_unchanged() {
    let mut r = Reader::from_slice(
        b"<a>plain<b><![CDATA[raw]]></b>x&lt;</a>",
        Limits::default(),
    );
    let mut seen = Vec::new();
    loop {
        match r.next_event().unwrap() {
            Event::Text(t) => seen.push((t.to_string(), matches!(t, Cow::Borrowed(_)))),
            Event::Eof => break,
            _ => {}
        }
    }
    // All borrowed: from the input, or from the reader's buffer for the resolved reference.
    assert_eq!(
        seen,
        [
            ("plain".to_string(), true),
            ("raw".to_string(), true),
            ("x<".to_string(), true)
        ]
    );
}

#[test]
fn text_position_is_first_piece() {
    let mut r = Reader::from_slice(b"<a><!--c-->\n &amp;x</a>", Limits::default());
    r.next_event().unwrap();
    match r.next_event().unwrap() {
        Event::Text(t) => assert_eq!(t, "\n &x"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.position(),
        Position {
            line: 1,
            column: 12
        }
    );
}

#[test]
fn line_ends_are_normalized_in_text_and_cdata() {
    assert_eq!(
        events("<a>1\r\n2\r3<![CDATA[4\r\n5]]></a>"),
        ["Sa", "T:1\n2\n34\n5", "Ea"]
    );
}

#[test]
fn whitespace_outside_root_is_not_reported() {
    assert_eq!(
        events("\n <!-- x -->\n<?pi?> <a> </a>\r\n\t<!--y--> "),
        ["Sa", "T: ", "Ea"]
    );
}

#[test]
fn attribute_values_are_normalized() {
    let input = "<a v=\" a&#10;b\tc\r\nd\re\nf &lt;&gt;&amp;&apos;&quot; &#x41;&#66;\" w='\"'/>";
    let mut r = Reader::from_slice(input.as_bytes(), Limits::default());
    r.advance_event().unwrap();
    match r.current_event() {
        Event::Start(s) => {
            let attrs = s.attributes();
            assert_eq!(attrs.len(), 2);
            assert_eq!(attrs[0].value, " a\nb c d e f <>&'\" AB");
            assert_eq!(attrs[1].value, "\"");
            assert!(matches!(attrs[1].value, Cow::Borrowed(_)));
            assert_eq!(
                r.attribute_position(&attrs[0]),
                Position { line: 1, column: 4 }
            );
            assert_eq!(
                r.attribute_position(&attrs[1]),
                Position {
                    line: 4,
                    column: 42
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn attribute_lookup_and_positions_across_lines() {
    let input = "<a\n  x='1'\n  p:y='2' xmlns:p='urn:p'>ä<b z='3'/></a>";
    let mut r = Reader::from_slice(input.as_bytes(), Limits::default());
    r.advance_event().unwrap();
    match r.current_event() {
        Event::Start(s) => {
            assert_eq!(s.attribute(None, "x").map(|a| &*a.value), Some("1"));
            assert_eq!(
                s.attribute(Some("urn:p"), "y").map(|a| &*a.value),
                Some("2")
            );
            assert_eq!(s.attribute(None, "y"), None);
            let positions: Vec<_> = s
                .attributes()
                .iter()
                .map(|a| r.attribute_position(a))
                .collect();
            assert_eq!(
                positions,
                [
                    Position { line: 2, column: 3 },
                    Position { line: 3, column: 3 }
                ]
            );
            let decls: Vec<_> = s.namespace_declarations().collect();
            assert_eq!(
                decls,
                [NamespaceDeclaration {
                    prefix: Some("p"),
                    uri: "urn:p"
                }]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.position(), Position { line: 1, column: 1 });
    r.next_event().unwrap(); // text
    r.advance_event().unwrap();
    match r.current_event() {
        Event::Start(s) => assert_eq!(
            r.attribute_position(&s.attributes()[0]),
            Position {
                line: 3,
                column: 31
            }
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.position(),
        Position {
            line: 3,
            column: 28
        }
    );
}

// ---- namespaces -----------------------------------------------------------------------------

#[test]
fn namespace_resolution() {
    let input = r#"<r xmlns="urn:d" xmlns:p="urn:p1">
  <a/>
  <p:b p:x="1" y="2" xml:lang="de"/>
  <c xmlns=""><d/></c>
  <e xmlns:p="urn:p2"><p:f/></e>
  <p:g xmlns="urn:d2"><h/></p:g>
</r>"#;
    let got: Vec<_> = events(input)
        .into_iter()
        .filter(|e| e.starts_with('S'))
        .collect();
    assert_eq!(
        got,
        [
            "S{urn:d}r",
            "S{urn:d}a",
            "S{urn:p1}p:b {urn:p1}p:x=1 y=2 {http://www.w3.org/XML/1998/namespace}xml:lang=de",
            "Sc",
            "Sd",
            "S{urn:d}e",
            "S{urn:p2}p:f",
            "S{urn:p1}p:g",
            "S{urn:d2}h",
        ]
    );
}

#[test]
fn element_namespaces_inherited_from_the_parent_follow_scope() {
    // A child with its parent's prefix takes the parent's namespace only when it declares
    // nothing itself; siblings' declarations are out of scope again.
    assert_eq!(
        events(
            "<p:a xmlns:p='u1'><p:b xmlns:p='u2'><p:c/></p:b><p:d/><p:e xmlns:q='v'><p:f/></p:e></p:a>"
        ),
        [
            "S{u1}p:a", "S{u2}p:b", "S{u2}p:c", "E{u2}p:c", "E{u2}p:b", "S{u1}p:d", "E{u1}p:d",
            "S{u1}p:e", "S{u1}p:f", "E{u1}p:f", "E{u1}p:e", "E{u1}p:a"
        ]
    );
    assert_eq!(
        events("<a xmlns='u'><b xmlns=''><c/></b><d><x:e xmlns:x='w'/></d></a>"),
        ["S{u}a", "Sb", "Sc", "Ec", "Eb", "S{u}d", "S{w}x:e", "E{w}x:e", "E{u}d", "E{u}a"]
    );
    assert_error(
        "<p:a xmlns:p='u'><p:b xmlns:p='v'/><q:c/></p:a>",
        XmlErrorKind::UndeclaredPrefix("q".into()),
        1,
        37,
        "/p:a/q:c",
    );
}

#[test]
fn resolve_prefix_follows_scope() {
    let input = r#"<r xmlns:p="urn:1" xmlns="urn:d"><a xmlns:p="urn:2" xmlns=""><b/></a><c/></r>"#;
    let mut r = Reader::from_slice(input.as_bytes(), Limits::default());
    r.next_event().unwrap(); // r
    assert_eq!(r.resolve_prefix("p"), Some("urn:1"));
    assert_eq!(r.resolve_prefix(""), Some("urn:d"));
    assert_eq!(r.resolve_prefix("xml"), Some(XML_NAMESPACE));
    assert_eq!(r.resolve_prefix("q"), None);
    r.next_event().unwrap(); // a
    assert_eq!(r.resolve_prefix("p"), Some("urn:2"));
    assert_eq!(r.resolve_prefix(""), None);
    r.next_event().unwrap(); // b
    r.next_event().unwrap(); // /b
    r.next_event().unwrap(); // /a: still in a's scope
    assert_eq!(r.resolve_prefix("p"), Some("urn:2"));
    r.next_event().unwrap(); // c
    assert_eq!(r.resolve_prefix("p"), Some("urn:1"));
    assert_eq!(r.resolve_prefix(""), Some("urn:d"));
}

#[test]
fn namespace_uri_with_references_is_normalized() {
    // The owned URI takes the slow path for attribute namespaces.
    assert_eq!(
        events("<p:a xmlns:p='urn:a&amp;b' p:x='1'/>"),
        ["S{urn:a&b}p:a {urn:a&b}p:x=1", "E{urn:a&b}p:a"]
    );
}

#[test]
fn namespace_errors() {
    assert_error(
        "<a>\n <p:b/></a>",
        XmlErrorKind::UndeclaredPrefix("p".into()),
        2,
        3,
        "/a/p:b",
    );
    assert_error(
        "<a x='1' q:y='2'/>",
        XmlErrorKind::UndeclaredPrefix("q".into()),
        1,
        10,
        "/a",
    );
    // A prefix declared on a sibling is out of scope.
    assert_error(
        "<r><a xmlns:p='u'/><p:b/></r>",
        XmlErrorKind::UndeclaredPrefix("p".into()),
        1,
        21,
        "/r/p:b",
    );
    assert_error(
        "<a xmlns:p=''/>",
        XmlErrorKind::EmptyPrefixBinding("p".into()),
        1,
        4,
        "/a",
    );
    let reserved = |input: &str, prefix: &str, column: u32| {
        let e = error(input);
        assert!(
            matches!(&e.kind, XmlErrorKind::ReservedPrefix { prefix: p, .. } if p == prefix),
            "{input}: {e}"
        );
        assert_eq!(e.position, Position { line: 1, column }, "{input}: {e}");
        assert_eq!(e.rule(), "xml-ns.reserved-prefix");
    };
    reserved("<a xmlns:xml='urn:x'/>", "xml", 4);
    reserved("<a xmlns:xmlns='urn:x'/>", "xmlns", 4);
    reserved(
        "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
        "p",
        4,
    );
    reserved("<a xmlns='http://www.w3.org/2000/xmlns/'/>", "", 4);
    reserved("<xmlns:a/>", "xmlns", 2);
    // Binding xml to its own namespace is allowed.
    assert_eq!(
        events("<a xmlns:xml='http://www.w3.org/XML/1998/namespace'/>"),
        ["Sa", "Ea"]
    );
    assert_error(
        "<a:b:c/>",
        XmlErrorKind::InvalidQName("a:b:c".into()),
        1,
        2,
        "",
    );
    assert_error(
        "<a :x='1'/>",
        XmlErrorKind::InvalidQName(":x".into()),
        1,
        4,
        "/a",
    );
}

#[test]
fn duplicate_attributes() {
    assert_error(
        "<a x='1' y='2' x='3'/>",
        XmlErrorKind::DuplicateAttribute("x".into()),
        1,
        16,
        "/a",
    );
    assert_error(
        "<a xmlns:p='u' xmlns:p='u'/>",
        XmlErrorKind::DuplicateAttribute("xmlns:p".into()),
        1,
        16,
        "/a",
    );
    assert_error(
        "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
        XmlErrorKind::DuplicateExpandedName {
            expanded: "{u}x".into(),
            first: "p:x".into(),
            second: "q:x".into(),
        },
        1,
        36,
        "/a",
    );
    // Same local name in different namespaces, or one unprefixed: fine.
    assert_eq!(
        events("<a xmlns:p='u' xmlns:q='v' xmlns='u' p:x='1' q:x='2' x='3'/>").len(),
        2
    );
    // Many attributes take the sorting path; the earliest duplicate is reported.
    let mut many = String::from("<a");
    for i in 0..40 {
        many.push_str(&format!(" a{i}='{i}'"));
    }
    many.push_str(" a7='x' a3='y'/>");
    let e = error(&many);
    assert_eq!(e.kind, XmlErrorKind::DuplicateAttribute("a7".into()));
}

// ---- well-formedness errors -----------------------------------------------------------------

#[test]
fn mismatched_and_unmatched_end_tags() {
    assert_error(
        "<a>\n  <b></c></a>",
        XmlErrorKind::MismatchedEndTag {
            expected: "b".into(),
            found: "c".into(),
        },
        2,
        6,
        "/a/b",
    );
    // Prefixes must match literally.
    assert_error(
        "<p:a xmlns:p='u' xmlns:q='u'></q:a>",
        XmlErrorKind::MismatchedEndTag {
            expected: "p:a".into(),
            found: "q:a".into(),
        },
        1,
        30,
        "/p:a",
    );
    assert_error(
        "<a/></a>",
        XmlErrorKind::UnmatchedEndTag("a".into()),
        1,
        5,
        "",
    );
    assert_error("</a>", XmlErrorKind::UnmatchedEndTag("a".into()), 1, 1, "");
    syntax("<a></a b>", 1, 8, "/a");
    syntax("<a></>", 1, 6, "/a");
    assert_eq!(events("<a></a \n>"), ["Sa", "Ea"]);
}

#[test]
fn unclosed_elements_and_roots() {
    assert_error("<a>\n<b>text", XmlErrorKind::UnclosedElements, 2, 8, "/a/b");
    assert_error("<a/><b/>", XmlErrorKind::MultipleRoots, 1, 5, "");
    assert_error("<a/>\n<!--x-->\n<a>", XmlErrorKind::MultipleRoots, 3, 1, "");
    assert_error("", XmlErrorKind::NoRoot, 1, 1, "");
    assert_error(
        "<?xml version='1.0'?>\n<!-- only -->\n",
        XmlErrorKind::NoRoot,
        3,
        1,
        "",
    );
}

#[test]
fn text_outside_root() {
    assert_error("x<a/>", XmlErrorKind::TextOutsideRoot, 1, 1, "");
    assert_error("<a/>\n  x", XmlErrorKind::TextOutsideRoot, 2, 3, "");
    assert_error("<a/>&amp;", XmlErrorKind::TextOutsideRoot, 1, 5, "");
    assert_error("<![CDATA[x]]><a/>", XmlErrorKind::TextOutsideRoot, 1, 1, "");
    assert_error("&#32;<a/>", XmlErrorKind::TextOutsideRoot, 1, 1, "");
}

#[test]
fn doctype_is_refused() {
    assert_error(
        "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
        XmlErrorKind::DoctypeNotAllowed,
        1,
        1,
        "",
    );
    assert_error(
        "<?xml version='1.0'?>\n<!DOCTYPE a SYSTEM 'http://evil/x.dtd'>\n<a/>",
        XmlErrorKind::DoctypeNotAllowed,
        2,
        1,
        "",
    );
    // Unterminated, lowercase, inside content: still refused as a DOCTYPE.
    assert_error("<!DOCTYPE a [", XmlErrorKind::DoctypeNotAllowed, 1, 1, "");
    assert_error(
        "<!doctype a><a/>",
        XmlErrorKind::DoctypeNotAllowed,
        1,
        1,
        "",
    );
    assert_error(
        "<a><!DOCTYPE a></a>",
        XmlErrorKind::DoctypeNotAllowed,
        1,
        4,
        "/a",
    );
    assert_eq!(error("<!DOCTYPE a>").rule(), "xml-wf.doctype-not-allowed");
}

#[test]
fn references() {
    assert_error(
        "<a>x&nbsp;</a>",
        XmlErrorKind::UnknownEntity("nbsp".into()),
        1,
        5,
        "/a",
    );
    assert_error(
        "<a v='&foo;'/>",
        XmlErrorKind::UnknownEntity("foo".into()),
        1,
        7,
        "/a",
    );
    assert_error("<a>&#0;</a>", XmlErrorKind::IllegalCharacter(0), 1, 4, "/a");
    assert_error(
        "<a>\n&#xD800;</a>",
        XmlErrorKind::IllegalCharacter(0xD800),
        2,
        1,
        "/a",
    );
    assert_error(
        "<a>&#xFFFE;</a>",
        XmlErrorKind::IllegalCharacter(0xFFFE),
        1,
        4,
        "/a",
    );
    assert_error(
        "<a v='&#1;'/>",
        XmlErrorKind::IllegalCharacter(1),
        1,
        7,
        "/a",
    );
    syntax("<a>&#xZZ;</a>", 1, 4, "/a");
    syntax("<a>&#X41;</a>", 1, 4, "/a");
    syntax("<a>a & b</a>", 1, 6, "/a");
    syntax("<a>&;</a>", 1, 4, "/a");
    syntax("<a>&a b;</a>", 1, 4, "/a");
    syntax("<a v='a & b'/>", 1, 9, "/a");
    // Legal references, also to characters that are illegal as literals elsewhere.
    assert_eq!(
        events("<a v='&#x9;&#xA;&#xD;'>&#x10FFFF;&#xD;</a>"),
        ["Sa v=\t\n\r", "T:\u{10FFFF}\r", "Ea"]
    );
}

#[test]
fn illegal_characters() {
    assert_error(
        "<a>ok\u{1}</a>",
        XmlErrorKind::IllegalCharacter(1),
        1,
        6,
        "/a",
    );
    assert_error(
        "<a>\n äö\u{FFFF}</a>",
        XmlErrorKind::IllegalCharacter(0xFFFF),
        2,
        4,
        "/a",
    );
    assert_error(
        "<a v='x\u{8}'/>",
        XmlErrorKind::IllegalCharacter(8),
        1,
        8,
        "/a",
    );
    assert_error(
        "<a><![CDATA[\u{0}]]></a>",
        XmlErrorKind::IllegalCharacter(0),
        1,
        13,
        "/a",
    );
    assert_error(
        "<a><!--\u{B}--></a>",
        XmlErrorKind::IllegalCharacter(0xB),
        1,
        8,
        "/a",
    );
    assert_error(
        "<a><?pi \u{C}?></a>",
        XmlErrorKind::IllegalCharacter(0xC),
        1,
        9,
        "/a",
    );
    assert_error("<a/>\u{0}", XmlErrorKind::TextOutsideRoot, 1, 5, "");
    // U+0080..U+009F, U+FFFD and astral characters are legal.
    assert_eq!(events("<a>\u{85}\u{FFFD}😀</a>").len(), 3);
}

#[test]
fn broken_utf8() {
    assert_error_bytes(
        b"<a>\n x\xFFy</a>",
        Limits::default(),
        XmlErrorKind::InvalidUtf8,
        2,
        3,
        "/a",
    );
    assert_error_bytes(
        b"<a v='\xC3'/>",
        Limits::default(),
        XmlErrorKind::InvalidUtf8,
        1,
        7,
        "",
    );
    assert_error_bytes(
        b"<a/><!-- \xED\xA0\x80 -->",
        Limits::default(),
        XmlErrorKind::InvalidUtf8,
        1,
        10,
        "",
    );
    // Events before the bad byte are still delivered.
    let mut r = Reader::from_slice(b"<a><b/>\xFF</a>", Limits::default());
    assert!(matches!(r.next_event(), Ok(Event::Start(_))));
    assert!(matches!(r.next_event(), Ok(Event::Start(_))));
    assert!(matches!(r.next_event(), Ok(Event::End(_))));
    assert_eq!(r.next_event().unwrap_err().kind, XmlErrorKind::InvalidUtf8);
}

#[test]
fn markup_syntax_errors() {
    syntax("<a>]]></a>", 1, 4, "/a");
    syntax("<a v='<'/>", 1, 7, "/a");
    syntax("<a><!-- a -- b --></a>", 1, 11, "/a");
    syntax("<a><!-- a ---></a>", 1, 11, "/a");
    syntax("<a x='1'y='2'/>", 1, 9, "/a");
    syntax("<a x/>", 1, 5, "/a");
    syntax("<a x=1/>", 1, 6, "/a");
    syntax("<a / >", 1, 4, "/a");
    syntax("< a/>", 1, 2, "");
    syntax("<a><b", 1, 4, "/a");
    syntax("<a x='1", 1, 1, "");
    syntax("<a><!-- x", 1, 4, "/a");
    syntax("<a><![CDATA[x", 1, 4, "/a");
    syntax("<a><![CDAT[x]]></a>", 1, 4, "/a");
    syntax("<a><?pi x", 1, 4, "/a");
    syntax("<a><!x></a>", 1, 4, "/a");
    syntax("<?XML version='1.0'?><a/>", 1, 3, "");
    syntax("<a><??></a>", 1, 6, "/a");
    assert_error(
        "<a><?p:i x?></a>",
        XmlErrorKind::InvalidName("p:i".into()),
        1,
        6,
        "/a",
    );
    assert_error("<1a/>", XmlErrorKind::InvalidName("1a".into()), 1, 2, "");
    assert_error(
        "<a 1x='1'/>",
        XmlErrorKind::InvalidName("1x".into()),
        1,
        4,
        "/a",
    );
}

#[test]
fn xml_declaration() {
    assert_eq!(
        events("<?xml version='1.0' encoding='utf-8' standalone='no'?><a/>").len(),
        2
    );
    assert_error(
        " <?xml version='1.0'?><a/>",
        XmlErrorKind::InvalidXmlDeclaration(
            "an XML declaration is only allowed at the very start of the document".into(),
        ),
        1,
        2,
        "",
    );
    assert_error(
        "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
        XmlErrorKind::UnsupportedEncoding("ISO-8859-1".into()),
        1,
        31,
        "",
    );
    let e = error("<?xml version='1.0' standalone='maybe'?><a/>");
    assert!(matches!(e.kind, XmlErrorKind::InvalidXmlDeclaration(_)));
    assert_eq!(
        e.position,
        Position {
            line: 1,
            column: 33
        }
    );
    let e = error("<?xml?><a/>");
    assert!(matches!(e.kind, XmlErrorKind::InvalidXmlDeclaration(_)));
}

#[test]
fn byte_order_marks() {
    let input = b"\xEF\xBB\xBF<?xml version='1.0'?>\n<a>\xC3\xA4<b/></a>";
    assert_eq!(
        events_with(input, Limits::default()).unwrap(),
        ["Sa", "T:ä", "Sb", "Eb", "Ea"]
    );
    // The BOM is not counted in columns or offsets' positions.
    assert_error_bytes(
        b"\xEF\xBB\xBF<a></b>",
        Limits::default(),
        XmlErrorKind::MismatchedEndTag {
            expected: "a".into(),
            found: "b".into(),
        },
        1,
        4,
        "/a",
    );
    let mut r = Reader::from_slice(b"\xEF\xBB\xBF<a/>", Limits::default());
    r.next_event().unwrap();
    assert_eq!(r.byte_offset(), 3);
    assert_error_bytes(
        b"\xEF\xBB\xBF\xEF\xBB\xBF<a/>",
        Limits::default(),
        XmlErrorKind::TextOutsideRoot,
        1,
        1,
        "",
    );
    assert_error_bytes(
        b"\xFF\xFE<\x00a\x00/\x00>\x00",
        Limits::default(),
        XmlErrorKind::UnsupportedEncoding("UTF-16".into()),
        1,
        1,
        "",
    );
    assert_error_bytes(
        b"\x00<\x00?\x00x",
        Limits::default(),
        XmlErrorKind::UnsupportedEncoding("UTF-16 (without byte order mark)".into()),
        1,
        1,
        "",
    );
    // A BOM in the middle is an ordinary (legal) character.
    assert_eq!(events("<a>\u{FEFF}</a>"), ["Sa", "T:\u{FEFF}", "Ea"]);
}

// ---- limits ---------------------------------------------------------------------------------

#[test]
fn limits() {
    let limits = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        l
    };
    assert_error_bytes(
        b"<a><b>\n<c/></b></a>",
        limits(|l| l.max_depth = 2),
        XmlErrorKind::DepthLimitExceeded { limit: 2 },
        2,
        1,
        "/a/b/c",
    );
    assert!(events_with(b"<a><b/></a>", limits(|l| l.max_depth = 2)).is_ok());
    assert_error_bytes(
        b"<a x='1' xmlns:p='u' y='2'/>",
        limits(|l| l.max_attributes = 2),
        XmlErrorKind::AttributeLimitExceeded { limit: 2 },
        1,
        22,
        "/a",
    );
    assert_error_bytes(
        b"<a>\n<b>12&amp;34</b></a>",
        limits(|l| l.max_text_bytes = 4),
        XmlErrorKind::TextLimitExceeded { limit: 4 },
        2,
        4,
        "/a/b",
    );
    assert!(events_with(b"<a>12&amp;3</a>", limits(|l| l.max_text_bytes = 4)).is_ok());
    assert_error_bytes(
        b"<a v='12345'/>",
        limits(|l| l.max_text_bytes = 4),
        XmlErrorKind::TextLimitExceeded { limit: 4 },
        1,
        7,
        "/a",
    );
    assert_error_bytes(
        b"<a><bb/><ccc/></a>",
        limits(|l| l.max_total_bytes = 10),
        XmlErrorKind::SizeLimitExceeded { limit: 10 },
        1,
        9,
        "/a",
    );
    assert!(events_with(b"<a></a>", limits(|l| l.max_total_bytes = 7)).is_ok());
    assert_error_bytes(
        b"<a><abcde/></a>",
        limits(|l| l.max_name_bytes = 4),
        XmlErrorKind::NameTooLong { limit: 4 },
        1,
        5,
        "/a",
    );
    assert_error_bytes(
        b"<a abcde='1'/>",
        limits(|l| l.max_name_bytes = 4),
        XmlErrorKind::NameTooLong { limit: 4 },
        1,
        4,
        "/a",
    );
    assert_error_bytes(
        b"<a>&abcde;</a>",
        limits(|l| l.max_name_bytes = 4),
        XmlErrorKind::NameTooLong { limit: 4 },
        1,
        5,
        "/a",
    );
    // Unterminated references: a run longer than a name may be is the name limit's error
    // (a stream cut inside it cannot know more), a shorter one the syntax error, whether
    // the run ends at `<`, `&` or the end of the document.
    for input in [&b"<a>&$x.-$$</a>"[..], b"<a>&$x.-$$&x;</a>", b"&$x.-$$"] {
        let e = error_with(input, limits(|l| l.max_name_bytes = 4));
        assert_eq!(e.kind, XmlErrorKind::NameTooLong { limit: 4 }, "{e}");
    }
    // A terminated reference over the limit, outside the root too.
    for input in [&b"&abcde;<a/>"[..], b"<a/>&abcde;"] {
        let e = error_with(input, limits(|l| l.max_name_bytes = 4));
        assert_eq!(e.kind, XmlErrorKind::NameTooLong { limit: 4 }, "{e}");
    }
    for input in [&b"<a>&$x.</a>"[..], b"&$x."] {
        let e = error_with(input, limits(|l| l.max_name_bytes = 4));
        assert!(matches!(e.kind, XmlErrorKind::Syntax(_)), "{e}");
    }
}

#[test]
fn deep_nesting_within_default_limit() {
    let depth = 256;
    let doc = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(events(&doc).len(), 2 * depth);
    let too_deep = format!("{}{}", "<a>".repeat(depth + 1), "</a>".repeat(depth + 1));
    assert_eq!(
        error(&too_deep).kind,
        XmlErrorKind::DepthLimitExceeded { limit: 256 }
    );
}

// ---- paths, positions, errors ---------------------------------------------------------------

#[test]
fn element_path_counts_same_named_siblings() {
    let input = "<r><a/><b/><a><c/><c><x/></c></a><a/><p:a xmlns:p='u'/></r>";
    let mut r = Reader::from_slice(input.as_bytes(), Limits::default());
    let mut paths = Vec::new();
    loop {
        match r.next_event().unwrap() {
            Event::Start(_) => paths.push(r.element_path()),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        paths,
        [
            "/r",
            "/r/a",
            "/r/b",
            "/r/a[2]",
            "/r/a[2]/c",
            "/r/a[2]/c[2]",
            "/r/a[2]/c[2]/x",
            "/r/a[3]",
            "/r/p:a",
        ]
    );
    assert_eq!(r.element_path(), "");
}

#[test]
fn positions_count_characters() {
    let input = "<a>\n  <ä>é</ä>\r\n\t<b/>\r<c/></a>";
    let mut r = Reader::from_slice(input.as_bytes(), Limits::default());
    let mut got = Vec::new();
    loop {
        let ev = r.next_event().unwrap();
        let tag = match ev {
            Event::Start(s) => format!("S{}", s.name()),
            Event::End(e) => format!("E{}", e.name()),
            Event::Text(t) => format!("T{:?}", t),
            Event::Eof => "EOF".into(),
        };
        let p = r.position();
        got.push(format!("{tag}@{}:{}", p.line, p.column));
        if tag == "EOF" {
            break;
        }
    }
    assert_eq!(
        got,
        [
            "Sa@1:1",
            "T\"\\n  \"@1:4",
            "Sä@2:3",
            "T\"é\"@2:6",
            "Eä@2:7",
            "T\"\\n\\t\"@2:11",
            "Sb@3:2",
            "Eb@3:2",
            "T\"\\n\"@3:6",
            "Sc@4:1",
            "Ec@4:1",
            "Ea@4:5",
            "EOF@4:9",
        ]
    );
}

#[test]
fn errors_display_and_rules() {
    let e = error("<a>\n<b></c></a>");
    assert_eq!(
        e.to_string(),
        "line 2, column 4 at /a/b: end tag </c> does not match the open element; expected </b>"
    );
    assert_eq!(e.rule(), "xml-wf.mismatched-end-tag");
    let e = error("<a/><b/>");
    assert_eq!(
        e.to_string(),
        "line 1, column 5: a second root element starts here; a document has exactly one root element"
    );
    assert_eq!(e.rule(), "xml-wf.multiple-roots");
    let l = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    assert_eq!(error_with(b"<a><b/></a>", l).rule(), "xml-limit.depth");
    assert!(error("<a>&#0;</a>").to_string().contains("U+0000"));
}

#[test]
fn errors_are_sticky() {
    let mut r = Reader::from_slice(b"<a><b></a><c/>", Limits::default());
    r.next_event().unwrap();
    r.next_event().unwrap();
    let first = r.next_event().unwrap_err();
    for _ in 0..3 {
        assert_eq!(r.next_event().unwrap_err(), first);
    }
}

// ---- real documents, volume, robustness -----------------------------------------------------

fn shared_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    if dir.join("xoev/MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared corpus missing at {} (required when CI=true)",
        dir.display()
    );
    eprintln!("skipping: shared corpus missing at {}", dir.display());
    None
}

#[test]
fn xoev_messages_are_well_formed() {
    let Some(shared) = shared_dir() else { return };
    let xoev = shared.join("xoev");
    let manifest = std::fs::read_to_string(xoev.join("MANIFEST.tsv")).unwrap();
    let mut read = 0;
    for line in manifest.lines().skip(1) {
        let Some(instance) = line.split('\t').nth(1) else {
            continue;
        };
        let bytes = std::fs::read(xoev.join(instance)).unwrap();
        let mut r = Reader::from_slice(&bytes, Limits::default());
        let (mut starts, mut ends) = (0usize, 0usize);
        loop {
            match r.next_event() {
                Ok(Event::Start(s)) => {
                    starts += 1;
                    assert!(s.name().namespace.is_some() || !s.name().local.is_empty());
                }
                Ok(Event::End(_)) => ends += 1,
                Ok(Event::Text(_)) => {}
                Ok(Event::Eof) => break,
                Err(e) => panic!("{instance}: {e}"),
            }
        }
        assert!(starts > 0 && starts == ends, "{instance}");
        read += 1;
    }
    assert_eq!(read, 33);
}

/// A generated XÖV-like document of about `target` bytes with known element and text counts.
fn generated_document(target: usize) -> (String, usize, usize) {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <n:nachricht xmlns:n=\"urn:xoev-de:test\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
    );
    let (mut elements, mut texts) = (1, 0);
    let mut i = 0u64;
    while doc.len() < target {
        doc.push_str(&format!(
            "  <n:person id=\"p{i}\" xsi:type=\"n:PersonType\">\n    <n:name>Müller-Lüdenscheidt &amp; Söhne {i}</n:name>\n    <n:code listURI=\"urn:de:codes\" listVersionID=\"1.0\"><code>{}</code></n:code>\n    <n:leer/>\n    <![CDATA[<roh>]]>\n  </n:person>\n",
            i % 97
        ));
        elements += 5;
        // Text events: directly in person 4 (3 indents, then indent + CDATA + indent as one);
        // in name and in code: 2.
        texts += 6;
        i += 1;
    }
    doc.push_str("</n:nachricht>\n");
    // Whitespace text directly under the root: one before each person, after the last.
    texts += usize::try_from(i).unwrap() + 1;
    (doc, elements, texts)
}

#[test]
fn reads_generated_five_megabyte_document() {
    let (doc, elements, texts) = generated_document(5 << 20);
    assert!(doc.len() >= 5 << 20);
    let mut r = Reader::from_slice(doc.as_bytes(), Limits::default());
    let (mut starts, mut ends, mut text_events, mut attrs, mut max_depth) = (0, 0, 0, 0, 0);
    loop {
        match r.next_event().unwrap() {
            Event::Start(s) => {
                starts += 1;
                attrs += s.attributes().len();
                max_depth = max_depth.max(r.depth());
            }
            Event::End(_) => ends += 1,
            Event::Text(_) => text_events += 1,
            Event::Eof => break,
        }
    }
    assert_eq!((starts, ends), (elements, elements));
    assert_eq!(text_events, texts);
    assert_eq!(attrs, (elements - 1) / 5 * 4);
    assert_eq!(max_depth, 4);
    // Streamed in windows of 4 KiB and of the default size: the same events, positions and
    // paths (compared as a digest of each event's rendering).
    let digest = |detailed: (Vec<String>, Option<XmlError>)| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        detailed.0.hash(&mut h);
        (detailed.0.len(), h.finish(), detailed.1)
    };
    let expected = digest(slice_detailed(doc.as_bytes(), Limits::default()));
    for window in [4096, stream::DEFAULT_WINDOW_BYTES] {
        let stream = EventStream::with_window(doc.as_bytes(), Limits::default(), window);
        assert_eq!(digest(streamed_events(stream)), expected, "window {window}");
    }
}

/// Reads to the end; returns the error if any. Panics if the reader does not terminate or an
/// error is not sticky.
fn drain(input: &[u8]) -> Option<XmlError> {
    let expected = slice_detailed(input, Limits::default());
    assert_streams_agree(input, Limits::default(), &expected, [1, 2, 3, 5, 7, 16]);
    let mut r = Reader::from_slice(input, Limits::default());
    for _ in 0..input.len() * 2 + 4 {
        match r.next_event() {
            Ok(Event::Eof) => return None,
            Ok(Event::Start(s)) => {
                // Touch everything an event exposes.
                let _ = (
                    s.name(),
                    s.attributes().len(),
                    s.namespace_declarations().count(),
                );
                let _ = (r.position(), r.element_path(), r.resolve_prefix("p"));
            }
            Ok(_) => {
                let _ = r.position();
            }
            Err(e) => {
                assert_eq!(r.next_event().unwrap_err(), e);
                assert!(e.position.line >= 1 && e.position.column >= 1);
                assert!(!e.to_string().is_empty());
                return Some(e);
            }
        }
    }
    panic!(
        "reader did not terminate on {:?}",
        String::from_utf8_lossy(input)
    );
}

const SAMPLE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n\
<p:r xmlns:p=\"urn:p\" xmlns=\"urn:d\" a='1 &amp; 2'>\n  <x xml:lang=\"de\">Grüße &#x263A;&lt;</x>\
<y/><![CDATA[a]]b]]><?pi data?>\r\n  <p:z xmlns=\"\" p:q='&#10;'>t</p:z>\n</p:r>\n";

#[test]
fn every_truncation_is_an_error() {
    assert_eq!(drain(SAMPLE.as_bytes()), None);
    let root_end = SAMPLE.rfind("</p:r>").unwrap() + "</p:r>".len();
    for cut in 0..SAMPLE.len() {
        let result = drain(&SAMPLE.as_bytes()[..cut]);
        if cut < root_end {
            assert!(result.is_some(), "prefix of {cut} bytes accepted");
        }
    }
}

#[test]
fn random_mutations_never_panic() {
    let sample = SAMPLE.as_bytes();
    let alphabet = b"<>/=\"'&;:!?[]-# \n\rax\x00\xC3\xFF";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut refused, mut total) = (0, 0);
    for _ in 0..4000 {
        let mut doc = sample.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(doc.len());
            match rng.below(4) {
                0 => doc[at] = alphabet[rng.below(alphabet.len())],
                1 => {
                    doc.remove(at);
                }
                2 => doc.insert(at, alphabet[rng.below(alphabet.len())]),
                _ => doc[at] = u8::try_from(rng.below(256)).unwrap(),
            }
        }
        total += 1;
        if drain(&doc).is_some() {
            refused += 1;
        }
    }
    // Most single-byte mutations of markup break it; the test is meaningful only if so.
    assert!(refused > total / 2, "{refused} of {total} refused");
}

#[test]
fn attribute_syntax_variants() {
    assert_eq!(events("<a x \t=\n '>' y=\"'\"\n/>"), ["Sa x=> y='", "Ea"]);
    assert_eq!(events("<é ü='ß'/>"), ["Sé ü=ß", "Eé"]);
    syntax("<a x='1'/ >", 1, 9, "/a");
    syntax("<a x=/>", 1, 6, "/a");
}

/// Start tags read in one pass (`plain_start_tag`, `attributed_start_tag`) give the same
/// events, positions and errors as the general path, for tags built from valid and invalid
/// pieces: attribute syntax, values that need rewriting or are refused, namespace declarations,
/// prefixes, duplicates, limits.
#[test]
fn one_pass_start_tags_agree_with_the_general_path() {
    const PIECES: &[&str] = &[
        " ",
        " ",
        "\t",
        "\n",
        "x",
        "y",
        "p:x",
        "q:x",
        "xmlns",
        "xmlns:q",
        "é",
        "=",
        "=",
        "'v'",
        "\"w\"",
        "'urn:a:b c'",
        "'a&amp;b'",
        "'a\tb'",
        "'<'",
        "'>'",
        "'\u{1}'",
        "'\u{FFFE}'",
        "'ä'",
        "\"'\"",
        "'",
        "\"",
        "/",
        ">",
        "/>",
        "a:b:c",
        "-x",
        ":",
    ];
    let limits = Limits {
        max_attributes: 3,
        max_name_bytes: 7,
        max_text_bytes: 8,
        ..Limits::default()
    };
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut one_pass = 0;
    for _ in 0..20_000 {
        let mut tag = String::from(["<e", "<e", "<p:e", "<ee:f", "<xmlns:e"][rng.below(5)]);
        if rng.below(2) > 0 {
            // Often a well-formed start, so that the one-pass path gets far.
            tag.push_str(
                [
                    " x='1' p:y=\"2 3\"",
                    " a='' b=\"\"",
                    "\ty='ok'",
                    " a='1' b='2' c='3'",
                    " a='1' b='2' c='3' d='4'",
                    " long_name='1'",
                    " a='123456789'",
                ][rng.below(7)],
            );
        }
        for _ in 0..rng.below(4) * rng.below(4) {
            tag.push_str(PIECES[rng.below(PIECES.len())]);
        }
        tag.push_str(["", ">", "/>", "/>", " >"][rng.below(5)]);
        let doc = format!("<r xmlns:p='urn:p'>{tag}</e></r>");
        let fast = slice_detailed(doc.as_bytes(), limits);
        GENERAL_PATH_ONLY.set(true);
        let general = slice_detailed(doc.as_bytes(), limits);
        GENERAL_PATH_ONLY.set(false);
        assert_same(doc.as_bytes(), "general path", &general, &fast);
        if fast.0.get(1).is_some_and(|e| e.contains(": Se")) {
            one_pass += 1;
        }
    }
    assert!(one_pass > 1000, "only {one_pass} tags were read at all");
}

/// Events of `input` read the validator's way ([`Reader::advance_in_window`] with fused steps
/// over the windows of a stream, or a slice when `window` is `None`), with whitespace-only text
/// declared unwanted in every element whose name starts with `w`.
fn events_skipping_blank_text(input: &[u8], window: Option<usize>) -> Detailed {
    let mut detailed = Vec::new();
    let mut error = None;
    let mut window_events = |r: &mut Reader<'_>| -> Result<bool, XmlError> {
        r.fused_steps();
        loop {
            let step = r.advance_in_window()?;
            if matches!(step, Step::NeedMore) {
                return Ok(false);
            }
            if matches!(step, Step::TextEnd(_)) {
                // The text, then the end tag, each with what a consumer can ask about it.
                let text = r.current_event();
                detailed.push(render_detailed(r, &text));
                r.move_to_fused_end();
            }
            let event = r.current_event();
            detailed.push(render_detailed(r, &event));
            match event {
                Event::Start(tag) => {
                    let unwanted = tag.name().local.starts_with('w');
                    r.set_blank_text_unwanted(unwanted);
                }
                Event::Eof => return Ok(true),
                _ => {}
            }
        }
    };
    match window {
        None => {
            let mut r = Reader::from_slice(input, Limits::default());
            if let Err(e) = window_events(&mut r) {
                error = Some(e);
            }
        }
        Some(w) => {
            match EventStream::with_window(input, Limits::default(), w)
                .drive_windows(&mut window_events)
            {
                Ok(()) => {}
                Err(StreamError::Xml(e)) => error = Some(e),
                Err(StreamError::Io(e)) => panic!("reading from a slice failed: {e}"),
            }
        }
    }
    (detailed, error)
}

/// Whitespace-only text declared unwanted is left out, and nothing else changes: the events
/// are those of the plain reader with some whitespace-only texts of `w` elements removed,
/// with the same positions, paths and errors, for slices and streams; a text and the end tag
/// fused with it are the same two events.
#[test]
fn unwanted_blank_text_is_skipped_and_nothing_else_changes() {
    const PIECES: &[&str] = &[
        "<w>",
        "</w>",
        "<e>",
        "</e>",
        "<w/>",
        "<e/>",
        "\n  ",
        " ",
        "\r\n",
        "\t",
        "x",
        "&amp;",
        "<!--c-->",
        "<?p?>",
        "<![CDATA[ ]]>",
        "\u{1}",
        "<",
        "ä",
    ];
    let mut rng = Rng(0x5EED_F00D_B1A4_C0DE);
    let mut skipped = 0;
    for round in 0..3000 {
        let mut doc = String::from("<w>\n ");
        for _ in 0..rng.below(16) {
            doc.push_str(PIECES[rng.below(PIECES.len())]);
        }
        if rng.below(8) > 0 {
            doc.push_str("\n</w>");
        }
        let plain = slice_detailed(doc.as_bytes(), Limits::default());
        let windows = [None, Some(1 + round % 16), Some(64)];
        for window in windows {
            let fewer = events_skipping_blank_text(doc.as_bytes(), window);
            assert_eq!(
                plain.1, fewer.1,
                "{doc:?}, window {window:?}: errors differ"
            );
            let mut rest = fewer.0.iter().peekable();
            for event in &plain.0 {
                if rest.peek() == Some(&event) {
                    rest.next();
                    continue;
                }
                // Left out: whitespace-only text in a `w` element.
                let (_, shown) = event.split_once(": ").unwrap_or_default();
                let blank = shown.strip_prefix("T:").is_some_and(|t| {
                    // Debug-quoted: `"\n\t "`.
                    let t = t.trim_matches('"');
                    t.replace("\\n", "")
                        .replace("\\t", "")
                        .replace("\\r", "")
                        .trim()
                        .is_empty()
                });
                let in_w = event.contains(" +") && {
                    let path = event.split(" +").nth(1).unwrap_or("");
                    let path = path.split(' ').next().unwrap_or("");
                    let last = path.rsplit('/').next().unwrap_or("");
                    last.starts_with('w')
                };
                assert!(
                    blank && in_w,
                    "{doc:?}, window {window:?}: left out {event:?}"
                );
                skipped += 1;
            }
            assert_eq!(
                rest.next(),
                None,
                "{doc:?}, window {window:?}: extra events"
            );
        }
    }
    assert!(skipped > 500, "only {skipped} texts were skipped");
}

/// The one-pass ASCII name scan agrees with the general QName check: whenever it accepts a
/// name, the general check accepts it with the same split; it only declines names the general
/// path must look at (non-ASCII, or invalid).
#[test]
fn ascii_qname_agrees_with_split_qname() {
    const ALPHABET: &[u8] = b"ab_Z09-.:\xC3\xA4 >/=";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = 1 + rng.below(8);
        let mut bytes: Vec<u8> = Vec::new();
        while bytes.len() < len {
            let i = rng.below(ALPHABET.len());
            // Keep the two-byte 'ä' whole so that the input stays UTF-8.
            match ALPHABET[i] {
                0xC3 | 0xA4 => bytes.extend_from_slice("ä".as_bytes()),
                b => bytes.push(b),
            }
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let name_end = text
            .bytes()
            .position(|b| chars::is_whitespace(b) || is_tag_delimiter(b))
            .unwrap_or(text.len());
        let name = &text[..name_end];
        let general = chars::split_qname(name);
        match ascii_qname_in_tag(text.as_bytes()) {
            Some((len, colon)) => {
                assert_eq!(len, name_end, "{text:?}");
                assert_eq!(general, Ok(split_at_colon(name, colon)), "{text:?}");
            }
            None => assert!(
                !name.is_ascii() || general.is_err() || name.is_empty(),
                "{text:?}: declined a valid ASCII name"
            ),
        }
    }
}

/// The one-pass attribute value scan finds the same end as a search for the quote, and takes
/// exactly the values the general check accepts without rewriting.
#[test]
fn plain_attribute_value_agrees_with_check_attribute_value() {
    const PIECES: &[&str] = &[
        "a", " ", "\t", "\n", "\r", "'", "\"", "<", ">", "&", "&amp;", "\u{1}", "ä", "\u{FFFE}",
        "\u{FEFF}",
    ];
    let mut rng = Rng(0xFEED_FACE_0BAD_F00D);
    for _ in 0..20_000 {
        let text: String = (0..rng.below(12))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        for quote in [b'"', b'\''] {
            let end = text.bytes().position(|b| b == quote);
            let expected = end.map(|end| chars::check_attribute_value(&text[..end]));
            match chars::plain_attribute_value(text.as_bytes(), quote) {
                Some(len) => {
                    assert_eq!(Some(len), end, "{text:?}");
                    assert_eq!(expected, Some(Ok(false)), "{text:?}");
                }
                None => assert!(
                    expected.is_none_or(|r| r != Ok(false)),
                    "{text:?}: declined a plain value"
                ),
            }
        }
    }
}

/// The one-pass content scan finds the same end as a search for `<` and `&`, and declines
/// exactly the text the general check refuses.
#[test]
fn scan_text_agrees_with_check_text() {
    const PIECES: &[&str] = &[
        "a", " ", "\n", "\r", "]", ">", "<", "&", "\u{1}", "ä", "\u{FFFE}",
    ];
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    for _ in 0..20_000 {
        let text: String = (0..rng.below(10))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        let end = text.find(['<', '&']).unwrap_or(text.len());
        let expected = chars::check_text(&text[..end], true);
        match chars::scan_text(text.as_bytes()) {
            Some((len, has_cr)) => {
                assert_eq!(len, end, "{text:?}");
                assert_eq!(expected, Ok(has_cr), "{text:?}");
            }
            None => assert!(expected.is_err(), "{text:?}"),
        }
    }
}

// ---- streaming ---------------------------------------------------------------------------
// Every test above that goes through `events_with`, `error_with` or `drain` also reads its
// input through `EventStream` in windows of 1 to 16 bytes and one byte per read.

#[test]
fn characters_split_across_reads() {
    // Two-, three- and four-byte characters in names, values and text land on every offset
    // relative to the window ends.
    assert_eq!(
        events("<ä xmlns:ö='urn:€' ö:€='ö€😀'>ä€😀<ö:b/>😀</ä>"),
        [
            "Sä {urn:€}ö:€=ö€😀",
            "T:ä€😀",
            "S{urn:€}ö:b",
            "E{urn:€}ö:b",
            "T:😀",
            "Eä"
        ]
    );
    // A broken sequence is reported where it starts, however the reads cut it.
    for (input, column) in [
        (&b"<a>x\xF0\x9F\x98</a>"[..], 5),
        (b"<a>\xF0\x9F\x98\x80\xF0</a>", 5),
        (b"<a></a>\xF0\x9F", 8),
        (b"<a b='\xE2\x82'/>", 7),
    ] {
        let e = error_with(input, Limits::default());
        assert_eq!(e.kind, XmlErrorKind::InvalidUtf8, "{input:?}: {e}");
        assert_eq!(e.position, Position { line: 1, column }, "{input:?}: {e}");
    }
}

#[test]
fn streamed_tokens_at_the_limits() {
    let limits = Limits {
        max_text_bytes: 40,
        max_name_bytes: 12,
        ..Limits::default()
    };
    // Exactly at the limits, in windows far smaller than the tokens: accepted.
    let text = "x".repeat(40);
    let name = "n".repeat(12);
    let doc = format!("<{name} {name}='{text}'>{text}<![CDATA[]]>&#x263A;</{name}>");
    assert!(
        events_with(doc.as_bytes(), limits).is_err(),
        "the text plus the reference is over the limit"
    );
    let doc = format!("<{name} {name}='{text}'>{text}</{name}>");
    assert_eq!(
        events_with(doc.as_bytes(), limits).unwrap_or_else(|e| panic!("{e}")),
        [
            format!("S{name} {name}={text}"),
            format!("T:{text}"),
            format!("E{name}")
        ]
    );
    // One byte over: the same error as for the whole document in memory.
    assert_error_bytes(
        format!("<a>\n{text}x</a>").as_bytes(),
        limits,
        XmlErrorKind::TextLimitExceeded { limit: 40 },
        1,
        4,
        "/a",
    );
    assert_error_bytes(
        format!("<a>{name}n</a>").replace("<a>", "<").as_bytes(),
        limits,
        XmlErrorKind::NameTooLong { limit: 12 },
        1,
        2,
        "",
    );
}

#[test]
fn streams_refuse_comments_beyond_the_limits() {
    // The one difference to a slice: a stream holds each token whole, so a comment or
    // processing instruction is bounded by the text limit (plus a name and delimiters).
    let limits = Limits {
        max_text_bytes: 40,
        max_name_bytes: 12,
        ..Limits::default()
    };
    let doc = format!("<a>\n <!--{}--></a>", "c".repeat(100));
    assert!(Reader::from_slice(doc.as_bytes(), limits)
        .next_event()
        .is_ok());
    let mut slice = Reader::from_slice(doc.as_bytes(), limits);
    while !matches!(slice.next_event(), Ok(Event::Eof) | Err(_)) {}
    assert_eq!(
        slice.next_event().ok().map(|e| matches!(e, Event::Eof)),
        Some(true)
    );
    for window in [1, 16, 64] {
        let stream = EventStream::with_window(doc.as_bytes(), limits, window);
        match stream.for_each_event(|_, _| ControlFlow::Continue(())) {
            Err(StreamError::Xml(e)) => {
                assert_eq!(e.rule(), "xml-limit.token", "{e}");
                assert_eq!(e.position, Position { line: 2, column: 2 }, "{e}");
                assert_eq!(e.element_path, "/a");
            }
            other => panic!("window {window}: {other:?}"),
        }
    }
}

/// Returns its bytes in reads of at most 3, one `Interrupted` first, then fails.
struct FailingAfter<'a> {
    data: &'a [u8],
    interrupted: bool,
}

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.interrupted {
            self.interrupted = true;
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        if self.data.is_empty() {
            return Err(std::io::Error::other("disk on fire"));
        }
        let n = self.data.len().min(buf.len()).min(3);
        let (now, rest) = self.data.split_at(n);
        buf.get_mut(..n).unwrap_or_default().copy_from_slice(now);
        self.data = rest;
        Ok(n)
    }
}

#[test]
fn read_errors_end_the_stream_with_their_offset() {
    let doc = b"<a><b>text</b><c/></a>";
    let mut seen = Vec::new();
    let input = FailingAfter {
        data: &doc[..12],
        interrupted: false,
    };
    let result = EventStream::with_window(input, Limits::default(), 4).for_each_event(|_, e| {
        seen.push(format!("{e:?}").chars().take(5).collect::<String>());
        ControlFlow::Continue(())
    });
    match result {
        Err(StreamError::Io(e)) => {
            assert_eq!(e.offset, 12);
            assert_eq!(
                e.to_string(),
                "reading the document failed after 12 bytes: disk on fire"
            );
        }
        other => panic!("{other:?}"),
    }
    // Events before the failure were reported (`<a>`, `<b>`, the text), nothing after.
    assert_eq!(seen, ["Start", "Start", "Text("]);
}

#[test]
fn a_callback_can_stop_the_stream() {
    let mut starts = 0;
    let result = EventStream::with_window(&b"<a><b/><c/></a>"[..], Limits::default(), 2)
        .for_each_event(|_, e| {
            if matches!(e, Event::Start(_)) {
                starts += 1;
            }
            if starts == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
    assert!(result.is_ok());
    assert_eq!(starts, 2);
}

#[test]
fn streamed_cdata_beyond_the_text_limit_is_the_text_error() {
    let limits = Limits {
        max_text_bytes: 40,
        max_name_bytes: 12,
        ..Limits::default()
    };
    // Far longer than any token limit: the text limit's error, as for the slice, whatever the
    // window.
    assert_error_bytes(
        format!("<a>x<![CDATA[{}]]></a>", "c".repeat(500)).as_bytes(),
        limits,
        XmlErrorKind::TextLimitExceeded { limit: 40 },
        1,
        4,
        "/a",
    );
}

#[test]
fn streamed_tokens_past_the_size_limit_are_the_size_error() {
    // A stream does not buffer a token past the size limit: the same error as for a slice.
    let limits = Limits {
        max_total_bytes: 64,
        ..Limits::default()
    };
    let doc = format!("<a>x</a><!--{}-->", "c".repeat(500));
    let e = error_with(doc.as_bytes(), limits);
    assert_eq!(e.kind, XmlErrorKind::SizeLimitExceeded { limit: 64 }, "{e}");
    assert_eq!(e.position, Position { line: 1, column: 9 }, "{e}");
    // A token that never closes: a slice finds the end of the document and says so, a stream
    // stops at the limit. Both refuse the document at the token.
    let unclosed = format!("<a>x</a><!--{}", "c".repeat(500));
    let stream = EventStream::with_window(unclosed.as_bytes(), limits, 16);
    match stream.for_each_event(|_, _| ControlFlow::Continue(())) {
        Err(StreamError::Xml(e)) => {
            assert_eq!(e.kind, XmlErrorKind::SizeLimitExceeded { limit: 64 }, "{e}");
            assert_eq!(e.position, Position { line: 1, column: 9 }, "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_error_bytes(
        format!("<a>{}</a>", "t".repeat(500)).as_bytes(),
        limits,
        XmlErrorKind::SizeLimitExceeded { limit: 64 },
        1,
        4,
        "/a",
    );
}
