//! Validation tests on small in-memory schemas: one test per rule family.

use super::*;
use crate::schema::load_from_memory;

fn set(body: &str) -> SchemaSet {
    let doc = format!(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">{body}</xs:schema>"#
    );
    let model = match load_from_memory(&["s.xsd"], &[("s.xsd", &doc)], None) {
        Ok(m) => m,
        Err(e) => panic!("load: {e:?}"),
    };
    match SchemaSet::from_model(model) {
        Ok(s) => s,
        Err(e) => panic!("compile: {e:?}"),
    }
}

fn compile_errors(body: &str) -> Vec<&'static str> {
    let doc = format!(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">{body}</xs:schema>"#
    );
    let model = match load_from_memory(&["s.xsd"], &[("s.xsd", &doc)], None) {
        Ok(m) => m,
        Err(e) => return e.iter().map(|e| e.rule).collect(),
    };
    match SchemaSet::from_model(model) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.rule).collect(),
    }
}

/// Validates `xml` in memory, and asserts the same outcome when it is streamed in windows of
/// 1, 7 and 64 bytes.
fn outcome(s: &SchemaSet, xml: &str) -> Outcome {
    let options = ValidationOptions::default();
    let out = s.validate(xml.as_bytes(), &options);
    for window in [1, 7, 64] {
        let mut input = xml.as_bytes();
        match run::validate_read(s, &mut input, &options, &mut NoSink, window) {
            Ok(streamed) => assert_eq!(streamed, out, "{xml}: streamed in windows of {window}"),
            Err(e) => panic!("reading from a slice failed: {e}"),
        }
    }
    out
}

fn rules(s: &SchemaSet, xml: &str) -> Vec<&'static str> {
    outcome(s, xml).violations.iter().map(|v| v.rule).collect()
}

fn first(s: &SchemaSet, xml: &str) -> Violation {
    let out = outcome(s, xml);
    match out.violations.into_iter().next() {
        Some(v) => v,
        None => panic!("expected a violation for {xml}"),
    }
}

const PERSON: &str = r#"
  <xs:element name="person">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="name" type="xs:string"/>
        <xs:element name="plz" minOccurs="0">
          <xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]{5}"/></xs:restriction></xs:simpleType>
        </xs:element>
        <xs:element name="age" type="xs:int" minOccurs="0" maxOccurs="3"/>
      </xs:sequence>
      <xs:attribute name="id" type="xs:ID"/>
      <xs:attribute name="listVersionID" type="xs:string" fixed="1"/>
      <xs:attribute name="kind" type="xs:token" use="required"/>
    </xs:complexType>
  </xs:element>"#;

#[test]
fn valid_document() {
    let s = set(PERSON);
    let out = s.validate(
        br#"<person xmlns="urn:t" kind="a" listVersionID="1"><name>x</name><plz>12345</plz><age>1</age><age> 2 </age></person>"#,
        &ValidationOptions::default(),
    );
    assert!(out.is_valid(), "{:?}", out.violations);
}

#[test]
fn content_model_violations_name_what_was_expected() {
    let s = set(PERSON);
    let v = first(
        &s,
        r#"<person xmlns="urn:t" kind="a"><plz>12345</plz></person>"#,
    );
    assert_eq!(v.rule, "cvc-complex-type.2.4.a");
    assert!(
        v.message.contains("'plz' not expected; expected name"),
        "{}",
        v.message
    );
    assert_eq!(v.element_path, "/person/plz");
    assert_eq!((v.line, v.column), (1, 32));
    let v = first(&s, r#"<person xmlns="urn:t" kind="a"></person>"#);
    assert_eq!(v.rule, "cvc-complex-type.2.4.b");
    assert!(v.message.contains("expected name"), "{}", v.message);
    let v = first(
        &s,
        r#"<person xmlns="urn:t" kind="a"><name/><age>1</age><age>1</age><age>1</age><age>1</age></person>"#,
    );
    assert_eq!(v.rule, "cvc-complex-type.2.4.d");
    assert_eq!(v.element_path, "/person/age[4]");
}

#[test]
fn simple_values_use_the_datatype_rules() {
    let s = set(PERSON);
    let v = first(
        &s,
        r#"<person xmlns="urn:t" kind="a"><name/><plz>abc</plz></person>"#,
    );
    assert_eq!(v.rule, "cvc-pattern-valid");
    assert!(
        v.message
            .starts_with("value 'abc' of element 'plz' is not valid"),
        "{}",
        v.message
    );
    assert_eq!(
        rules(
            &s,
            r#"<person xmlns="urn:t" kind="a"><name/><age>x</age></person>"#
        ),
        ["cvc-datatype-valid.1.2.1"]
    );
}

#[test]
fn attributes() {
    let s = set(PERSON);
    assert_eq!(
        rules(&s, r#"<person xmlns="urn:t"><name/></person>"#),
        ["cvc-complex-type.4"]
    );
    let v = first(
        &s,
        r#"<person xmlns="urn:t" kind="a" listVersionID="2"><name/></person>"#,
    );
    assert_eq!(v.rule, "cvc-attribute.4");
    assert_eq!(
        v.message,
        "attribute 'listVersionID' must have the fixed value '1', found '2'"
    );
    assert_eq!(
        rules(
            &s,
            r#"<person xmlns="urn:t" kind="a" other="x"><name/></person>"#
        ),
        ["cvc-complex-type.3.2.2"]
    );
    // xsi:schemaLocation is a hint and always allowed.
    assert!(rules(
        &s,
        r#"<person xmlns="urn:t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:t s.xsd" kind="a"><name/></person>"#
    )
    .is_empty());
}

#[test]
fn root_must_be_declared_and_text_must_fit_the_content_type() {
    let s = set(PERSON);
    assert_eq!(rules(&s, r#"<nobody xmlns="urn:t"/>"#), ["cvc-elt.1"]);
    assert_eq!(
        rules(&s, r#"<person xmlns="urn:t" kind="a">text<name/></person>"#),
        ["cvc-complex-type.2.3"]
    );
    assert_eq!(
        rules(
            &s,
            r#"<person xmlns="urn:t" kind="a"><name><b/></name></person>"#
        ),
        ["cvc-complex-type.2.2"]
    );
}

#[test]
fn ids_and_idrefs() {
    let s = set(r#"<xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="i" maxOccurs="unbounded"><xs:complexType>
               <xs:attribute name="id" type="xs:ID"/><xs:attribute name="ref" type="xs:IDREFS"/>
             </xs:complexType></xs:element>
           </xs:sequence></xs:complexType></xs:element>"#);
    assert!(rules(
        &s,
        r#"<r xmlns="urn:t"><i id="a" ref="b a"/><i id="b"/></r>"#
    )
    .is_empty());
    assert_eq!(
        rules(&s, r#"<r xmlns="urn:t"><i id="a"/><i id="a"/></r>"#),
        ["cvc-id.2"]
    );
    // IDREFs are only checked on request (xmllint never checks them).
    assert!(rules(&s, r#"<r xmlns="urn:t"><i id="a" ref="c"/></r>"#).is_empty());
    let strict = ValidationOptions {
        full_id_checks: true,
        ..ValidationOptions::default()
    };
    let out = s.validate(br#"<r xmlns="urn:t"><i id="a" ref="c"/></r>"#, &strict);
    assert_eq!(
        out.violations.iter().map(|v| v.rule).collect::<Vec<_>>(),
        ["cvc-id.1"]
    );

    // An IDREFS attribute added by its default value refers like one in the tag.
    let defaulted = set(r#"<xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="i" minOccurs="0"><xs:complexType>
               <xs:attribute name="id" type="xs:ID"/>
             </xs:complexType></xs:element></xs:sequence>
             <xs:attribute name="refs" type="xs:IDREFS" default="abc"/>
           </xs:complexType></xs:element>"#);
    let strict_rules = |xml: &str| -> Vec<&'static str> {
        let out = defaulted.validate(xml.as_bytes(), &strict);
        out.violations.iter().map(|v| v.rule).collect()
    };
    assert_eq!(strict_rules(r#"<r xmlns="urn:t"/>"#), ["cvc-id.1"]);
    assert!(strict_rules(r#"<r xmlns="urn:t"><i id="abc"/></r>"#).is_empty());
    assert!(strict_rules(r#"<r xmlns="urn:t" refs="x"><i id="x"/></r>"#).is_empty());
}

const DERIVED: &str = r#"
  <xs:complexType name="base"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType>
  <xs:complexType name="ext"><xs:complexContent><xs:extension base="t:base">
    <xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence>
    <xs:attribute name="x" type="xs:int"/>
  </xs:extension></xs:complexContent></xs:complexType>
  <xs:complexType name="abs" abstract="true"><xs:sequence/></xs:complexType>
  <xs:element name="root" type="t:base"/>
  <xs:element name="blocked" type="t:base" block="extension"/>
  <xs:element name="head" type="t:base" abstract="true"/>
  <xs:element name="member" type="t:ext" substitutionGroup="t:head"/>
  <xs:element name="holder"><xs:complexType><xs:sequence><xs:element ref="t:head" maxOccurs="2"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="absType" type="t:abs"/>
  <xs:element name="n" type="xs:int" nillable="true"/>
  <xs:element name="f" type="xs:decimal" fixed="1.0"/>
  <xs:element name="d" type="xs:int" default="5"/>
"#;

#[test]
fn xsi_type() {
    let s = set(DERIVED);
    let xsi = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
    assert!(rules(
        &s,
        &format!(r#"<t:root xmlns:t="urn:t" {xsi} xsi:type="t:ext"><t:a/><t:b/></t:root>"#)
    )
    .is_empty());
    assert_eq!(
        rules(
            &s,
            &format!(r#"<t:root xmlns:t="urn:t" {xsi} xsi:type="t:ext"><t:a/></t:root>"#)
        ),
        ["cvc-complex-type.2.4.b"]
    );
    assert_eq!(
        rules(
            &s,
            &format!(r#"<t:root xmlns:t="urn:t" {xsi} xsi:type="t:nope"><t:a/></t:root>"#)
        ),
        ["cvc-elt.4.2"]
    );
    assert_eq!(
        rules(
            &s,
            &format!(r#"<t:root xmlns:t="urn:t" {xsi} xsi:type="xs:int"><t:a/></t:root>"#)
        ),
        ["cvc-elt.4.1"]
    );
    // Blocked: reported, and the declared type governs (so t:b is unexpected).
    assert_eq!(
        rules(
            &s,
            &format!(
                r#"<t:blocked xmlns:t="urn:t" {xsi} xsi:type="t:ext"><t:a/><t:b/></t:blocked>"#
            )
        ),
        ["cvc-elt.4.3", "cvc-complex-type.2.4.d"]
    );
    assert_eq!(rules(&s, r#"<t:absType xmlns:t="urn:t"/>"#), ["cvc-type.2"]);
}

#[test]
fn substitution_groups_and_abstract_elements() {
    let s = set(DERIVED);
    assert!(rules(
        &s,
        r#"<t:holder xmlns:t="urn:t"><t:member><t:a/><t:b/></t:member></t:holder>"#
    )
    .is_empty());
    assert_eq!(
        rules(
            &s,
            r#"<t:holder xmlns:t="urn:t"><t:head><t:a/></t:head></t:holder>"#
        ),
        ["cvc-elt.2"]
    );
}

/// Whitespace-only text is left unreported where it cannot matter (element-only content, no
/// sink); everywhere else it is still seen: nilled and empty content refuse it, simple content
/// keeps it.
#[test]
fn whitespace_only_text_is_checked_where_it_matters() {
    let s = set(r#"
      <xs:element name="list"><xs:complexType><xs:sequence>
        <xs:element name="item" maxOccurs="unbounded" nillable="true">
          <xs:complexType><xs:sequence>
            <xs:element name="v" type="xs:string" minOccurs="0"/>
          </xs:sequence></xs:complexType>
        </xs:element>
        <xs:element name="empty" minOccurs="0"><xs:complexType/></xs:element>
        <xs:element name="spaces" minOccurs="0">
          <xs:simpleType><xs:restriction base="xs:string"><xs:pattern value=" +"/></xs:restriction></xs:simpleType>
        </xs:element>
      </xs:sequence></xs:complexType></xs:element>"#);
    let xsi = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
    assert!(rules(
        &s,
        "<list xmlns=\"urn:t\">\n  <item>\n    <v>x</v>\n  </item>\r\n  <item>\t\n  </item>\n</list>\n"
    )
    .is_empty());
    assert_eq!(
        rules(
            &s,
            &format!("<list xmlns=\"urn:t\" {xsi}>\n  <item xsi:nil=\"true\">\n  </item>\n</list>")
        ),
        ["cvc-elt.3.2.1"]
    );
    assert_eq!(
        rules(
            &s,
            "<list xmlns=\"urn:t\">\n  <item/>\n  <empty>\n  </empty>\n</list>"
        ),
        ["cvc-complex-type.2.1"]
    );
    assert!(rules(
        &s,
        "<list xmlns=\"urn:t\">\n  <item/>\n  <spaces>   </spaces>\n</list>"
    )
    .is_empty());
    assert_eq!(
        rules(
            &s,
            "<list xmlns=\"urn:t\">\n  <item/>\n  <spaces></spaces>\n</list>"
        ),
        ["cvc-pattern-valid"]
    );
}

#[test]
fn nil_fixed_and_default() {
    let s = set(DERIVED);
    let xsi = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
    assert!(rules(
        &s,
        &format!(r#"<t:n xmlns:t="urn:t" {xsi} xsi:nil="true"/>"#)
    )
    .is_empty());
    assert_eq!(
        rules(
            &s,
            &format!(r#"<t:n xmlns:t="urn:t" {xsi} xsi:nil="true">1</t:n>"#)
        ),
        ["cvc-elt.3.2.1"]
    );
    assert_eq!(
        rules(
            &s,
            &format!(r#"<t:d xmlns:t="urn:t" {xsi} xsi:nil="true"/>"#)
        ),
        ["cvc-elt.3.1"]
    );
    assert!(rules(&s, r#"<t:f xmlns:t="urn:t">1</t:f>"#).is_empty());
    assert!(rules(&s, r#"<t:f xmlns:t="urn:t"/>"#).is_empty());
    assert_eq!(
        rules(&s, r#"<t:f xmlns:t="urn:t">2</t:f>"#),
        ["cvc-elt.5.2.2.2.2"]
    );
    assert!(rules(&s, r#"<t:d xmlns:t="urn:t"/>"#).is_empty());
}

#[test]
fn wildcards() {
    let s = set(r###"<xs:element name="w"><xs:complexType><xs:sequence>
             <xs:any namespace="urn:other" processContents="strict" minOccurs="0"/>
             <xs:any namespace="urn:lax" processContents="lax" minOccurs="0"/>
             <xs:any namespace="urn:skip" processContents="skip" minOccurs="0"/>
           </xs:sequence><xs:anyAttribute namespace="urn:skip" processContents="skip"/></xs:complexType></xs:element>"###);
    assert!(rules(
        &s,
        r###"<w xmlns="urn:t" xmlns:s="urn:skip" s:x="1"><l xmlns="urn:lax"><any/></l><s:k><deep><er/></deep>text</s:k></w>"###
    )
    .is_empty());
    assert_eq!(
        rules(&s, r###"<w xmlns="urn:t"><o xmlns="urn:other"/></w>"###),
        ["cvc-complex-type.2.4.c"]
    );
    assert_eq!(
        rules(&s, r###"<w xmlns="urn:t" x="1"/>"###),
        ["cvc-complex-type.3.2.2"]
    );
}

#[test]
fn not_well_formed_ends_with_the_xml_error() {
    let s = set(PERSON);
    let out = s.validate(
        br#"<person xmlns="urn:t"><name></nam></person>"#,
        &ValidationOptions::default(),
    );
    assert!(!out.well_formed);
    assert_eq!(
        out.violations.last().map(|v| v.rule),
        Some("xml-wf.mismatched-end-tag")
    );
}

#[test]
fn violations_are_capped() {
    let s = set(PERSON);
    let many = format!(
        r#"<person xmlns="urn:t" kind="a"><name/>{}</person>"#,
        "<age>x</age>".repeat(3)
    );
    let out = s.validate(
        many.as_bytes(),
        &ValidationOptions {
            max_violations: 1,
            ..ValidationOptions::default()
        },
    );
    assert_eq!(out.violations.len(), 1);
    assert!(out.truncated);
}

#[derive(Default)]
struct Recorder {
    events: Vec<String>,
}

impl Sink for Recorder {
    fn start_element(&mut self, e: &ElementEvent<'_>) {
        let ty = e
            .type_definition()
            .and_then(|t| t.name().map(str::to_string))
            .unwrap_or_else(|| "-".into());
        let decl = e.declaration().map(|d| d.name()).unwrap_or("-");
        self.events.push(format!(
            "start {} decl={decl} type={ty} depth={}",
            e.name().local,
            e.depth()
        ));
    }
    fn text(&mut self, text: &str) {
        self.events.push(format!("text {text}"));
    }
    fn end_element(&mut self, e: &EndEvent<'_>) {
        let v = e
            .value()
            .map(ToString::to_string)
            .unwrap_or_else(|| "-".into());
        self.events
            .push(format!("end {} value={v}", e.name().local));
    }
}

#[test]
fn sink_sees_declarations_types_and_typed_values() {
    let s = set(DERIVED);
    let mut sink = Recorder::default();
    let out = s.validate_with_sink(
        br#"<t:root xmlns:t="urn:t"><t:a>x</t:a></t:root>"#,
        &ValidationOptions::default(),
        &mut sink,
    );
    assert!(out.is_valid(), "{:?}", out.violations);
    assert_eq!(
        sink.events,
        [
            "start root decl=root type=base depth=1",
            "start a decl=a type=string depth=2",
            "text x",
            "end a value=x",
            "end root value=-",
        ]
    );
    let mut sink = Recorder::default();
    s.validate_with_sink(
        br#"<t:d xmlns:t="urn:t"/>"#,
        &ValidationOptions::default(),
        &mut sink,
    );
    assert_eq!(
        sink.events.last().map(String::as_str),
        Some("end d value=5")
    );
}

#[test]
fn compile_errors_are_reported() {
    assert_eq!(
        compile_errors(
            r#"<xs:element name="e"><xs:complexType><xs:choice>
                 <xs:element name="a"/><xs:sequence><xs:element name="a"/></xs:sequence>
               </xs:choice></xs:complexType></xs:element>"#
        ),
        ["cos-nonambig"]
    );
    assert_eq!(
        compile_errors(r#"<xs:element name="e" type="xs:int" default="x"/>"#),
        ["e-props-correct.2"]
    );
    assert_eq!(
        compile_errors(
            r#"<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:maxLength value="-1"/></xs:restriction></xs:simpleType>"#
        )
        .len(),
        1
    );
    assert_eq!(
        compile_errors(
            r#"<xs:complexType name="b" final="extension"/>
               <xs:complexType name="d"><xs:complexContent><xs:extension base="t:b"/></xs:complexContent></xs:complexType>"#
        ),
        ["cos-ct-extends.1.1"]
    );
}

#[test]
fn schema_set_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SchemaSet>();
}

#[test]
fn arbitrary_bytes_never_panic() {
    let s = set(PERSON);
    let inputs: [&[u8]; 6] = [
        b"",
        b"<",
        b"\xff\xfe<a/>",
        b"<person xmlns='urn:t' kind='a'><name>\xc3</name></person>",
        b"<?xml version='1.0'?><!DOCTYPE x><x/>",
        b"<person xmlns='urn:t' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:type=':' xsi:nil='maybe' kind='a'/>",
    ];
    for i in inputs {
        let _ = s.validate(i, &ValidationOptions::default());
    }
}

#[test]
fn identity_constraints_are_checked_while_streaming() {
    let s = set(r#"<xs:element name="list"><xs:complexType><xs:sequence>
             <xs:element name="item" maxOccurs="unbounded"><xs:complexType>
               <xs:simpleContent><xs:extension base="xs:string">
                 <xs:attribute name="id" type="xs:int"/>
               </xs:extension></xs:simpleContent>
             </xs:complexType></xs:element>
             <xs:element name="ref" type="xs:int" minOccurs="0" maxOccurs="unbounded"/>
           </xs:sequence></xs:complexType>
           <xs:key name="k"><xs:selector xpath="t:item"/><xs:field xpath="@id"/></xs:key>
           <xs:keyref name="r" refer="t:k"><xs:selector xpath="t:ref"/><xs:field xpath="."/></xs:keyref>
         </xs:element>"#);
    assert!(rules(
        &s,
        r#"<list xmlns="urn:t"><item id="1"/><item id="02"/><ref>2</ref></list>"#
    )
    .is_empty());
    // 1 and 01 are the same xs:int value.
    let v = first(
        &s,
        r#"<list xmlns="urn:t"><item id="1"/><item id="01"/></list>"#,
    );
    assert_eq!(v.rule, "cvc-identity-constraint.4.2.2");
    assert_eq!(
        rules(
            &s,
            r#"<list xmlns="urn:t"><item id="1"/><ref>3</ref></list>"#
        ),
        ["cvc-identity-constraint.4.3"]
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "<person xmlns=\"urn:t\" kind=\"a\">",
        "</person>",
        "<name>",
        "</name>",
        "<plz>",
        "</plz>",
        "<age>",
        "</age>",
        "<x/>",
        "12345",
        " ",
        "&amp;",
        "xsi:type=\"t:person\"",
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:nil=\"true\"",
        "<t:person xmlns:t=\"urn:t\" id=\"i\">",
        "<![CDATA[x]]>",
        "<!-- c -->",
        "\u{e4}",
        "<",
        ">",
        "\"",
    ];

    proptest! {
        #[test]
        fn token_soup(picks in prop::collection::vec(0..TOKENS.len(), 0..40)) {
            let s = set(PERSON);
            let doc: String = picks.iter().filter_map(|&i| TOKENS.get(i).copied()).collect();
            let options = ValidationOptions { max_violations: 5, ..ValidationOptions::default() };
            let out = s.validate(doc.as_bytes(), &options);
            prop_assert!(out.violations.len() <= 6);
            // A sink that wants events and values sees the same violations as plain
            // validation, which builds neither.
            let mut recorder = Recorder::default();
            let with_sink = s.validate_with_sink(doc.as_bytes(), &options, &mut recorder);
            prop_assert_eq!(format!("{:?}", out.violations), format!("{:?}", with_sink.violations));
            // Streamed in windows of 3 bytes: the same outcome and sink events.
            let mut streamed_recorder = Recorder::default();
            let mut input = doc.as_bytes();
            let streamed = run::validate_read(&s, &mut input, &options, &mut streamed_recorder, 3);
            prop_assert_eq!(streamed.ok(), Some(with_sink));
            prop_assert_eq!(streamed_recorder.events, recorder.events);
        }

        #[test]
        fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let s = set(PERSON);
            let options = ValidationOptions::default();
            let out = s.validate(&bytes, &options);
            let mut input = bytes.as_slice();
            let streamed = run::validate_read(&s, &mut input, &options, &mut NoSink, 2);
            prop_assert_eq!(streamed.ok(), Some(out));
        }
    }
}

/// Identity-constraint fields see attributes a default or fixed value adds (XSD 1.0 3.11.4:
/// fields are evaluated on the post-schema-validation infoset).
#[test]
fn identity_fields_see_defaulted_attributes() {
    let s = set(r#"
  <xs:element name="r">
    <xs:complexType>
      <xs:sequence><xs:element name="e" maxOccurs="unbounded">
        <xs:complexType>
          <xs:attribute name="k" type="xs:string" default="same"/>
          <xs:attribute name="f" type="xs:int" fixed="7"/>
        </xs:complexType>
      </xs:element></xs:sequence>
    </xs:complexType>
    <xs:key name="byK"><xs:selector xpath="t:e"/><xs:field xpath="@k"/></xs:key>
  </xs:element>"#);
    assert!(rules(&s, r#"<r xmlns="urn:t"><e k="a"/><e k="b"/></r>"#).is_empty());
    // The second e gets k="same" by default: the key is no longer unique.
    assert_eq!(
        rules(&s, r#"<r xmlns="urn:t"><e k="same"/><e/></r>"#),
        ["cvc-identity-constraint.4.2.2"]
    );
    // A key field that is present only by default still counts as present (4.2.1).
    assert!(rules(&s, r#"<r xmlns="urn:t"><e/></r>"#).is_empty());

    let fixed = set(r#"
  <xs:element name="r">
    <xs:complexType>
      <xs:sequence><xs:element name="e" maxOccurs="unbounded">
        <xs:complexType><xs:attribute name="f" type="xs:int" fixed="7"/></xs:complexType>
      </xs:element></xs:sequence>
    </xs:complexType>
    <xs:unique name="byF"><xs:selector xpath="t:e"/><xs:field xpath="@f"/></xs:unique>
  </xs:element>"#);
    // Typed values: "07" written out equals the fixed 7 added to the other element.
    assert_eq!(
        rules(&fixed, r#"<r xmlns="urn:t"><e f="07"/><e/></r>"#),
        ["cvc-identity-constraint.4.1"]
    );
}
