//! Compile-step tests on small in-memory schemas: what the runtime form holds, and which
//! schemas the compile step rejects.

use super::*;
use crate::schema::load_from_memory;

fn doc(body: &str) -> String {
    format!(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">{body}</xs:schema>"#
    )
}

fn compile(body: &str) -> Result<SchemaSet, Vec<SchemaError>> {
    let text = doc(body);
    let model = load_from_memory(&["s.xsd"], &[("s.xsd", &text)], None)?;
    SchemaSet::from_model(model)
}

fn ok(body: &str) -> SchemaSet {
    compile(body).unwrap_or_else(|e| panic!("{e:?}"))
}

fn rules(body: &str) -> Vec<&'static str> {
    match compile(body) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.rule).collect(),
    }
}

fn complex<'s>(set: &'s SchemaSet, name: &str) -> &'s ComplexRule {
    let t = match set.type_definition(Some("urn:t"), name) {
        Some(t) => t,
        None => panic!("no type {name}"),
    };
    let index = set
        .global_types
        .values()
        .copied()
        .find(|&i| TypeDefinition::new(set, i) == t)
        .unwrap_or(TypeIndex::ANY_TYPE);
    match &set.type_rule(index).body {
        TypeBody::Complex(c) => c,
        TypeBody::Simple(_) => panic!("{name} is simple"),
    }
}

fn attribute_names(set: &SchemaSet, c: &ComplexRule) -> Vec<String> {
    let mut names: Vec<String> = c
        .attributes
        .iter()
        .map(|u| {
            format!(
                "{}{}",
                set.names_local(u.name),
                if u.required { "!" } else { "" }
            )
        })
        .collect();
    names.sort();
    names
}

#[test]
fn attribute_uses_are_inherited_and_prohibited() {
    let set = ok(r###"
      <xs:attributeGroup name="g"><xs:attribute name="c" type="xs:int"/></xs:attributeGroup>
      <xs:complexType name="base">
        <xs:attribute name="a" type="xs:string"/>
        <xs:attribute name="b" type="xs:string" use="required"/>
        <xs:anyAttribute namespace="##any"/>
      </xs:complexType>
      <xs:complexType name="ext"><xs:complexContent><xs:extension base="t:base">
        <xs:attributeGroup ref="t:g"/>
      </xs:extension></xs:complexContent></xs:complexType>
      <xs:complexType name="res"><xs:complexContent><xs:restriction base="t:base">
        <xs:attribute name="a" use="prohibited"/>
        <xs:anyAttribute namespace="##other"/>
      </xs:restriction></xs:complexContent></xs:complexType>"###);
    assert_eq!(
        attribute_names(&set, complex(&set, "ext")),
        ["a", "b!", "c"]
    );
    assert_eq!(attribute_names(&set, complex(&set, "res")), ["b!"]);
    // Extension unites the wildcards; restriction keeps only its own.
    assert_eq!(
        complex(&set, "ext")
            .wildcard
            .as_ref()
            .map(|w| &w.namespaces),
        Some(&NamespaceSet::Any)
    );
    assert!(matches!(
        complex(&set, "res")
            .wildcard
            .as_ref()
            .map(|w| &w.namespaces),
        Some(NamespaceSet::Not(_))
    ));
}

#[test]
fn extension_appends_to_the_base_content_model() {
    let set = ok(r#"
      <xs:complexType name="base"><xs:sequence><xs:element name="a"/></xs:sequence></xs:complexType>
      <xs:complexType name="ext"><xs:complexContent><xs:extension base="t:base">
        <xs:sequence><xs:element name="b"/></xs:sequence>
      </xs:extension></xs:complexContent></xs:complexType>
      <xs:complexType name="same"><xs:complexContent><xs:extension base="t:base"/></xs:complexContent></xs:complexType>
      <xs:complexType name="empty"/>
      <xs:complexType name="mixedEmpty" mixed="true"/>"#);
    let leaves = |name: &str| match &complex(&set, name).content {
        Content::Elements { automaton, .. } => automaton
            .leaves()
            .iter()
            .map(|l| match l {
                Leaf::Element { head, .. } => set.names_local(head.name).to_string(),
                Leaf::Wildcard(_) => "*".into(),
            })
            .collect::<Vec<_>>(),
        Content::Empty => vec!["(empty)".into()],
        Content::Simple(_) => vec!["(simple)".into()],
    };
    assert_eq!(leaves("ext"), ["a", "b"]);
    assert_eq!(leaves("same"), ["a"]);
    assert_eq!(leaves("empty"), ["(empty)"]);
    assert!(matches!(
        complex(&set, "mixedEmpty").content,
        Content::Elements { mixed: true, .. }
    ));
}

#[test]
fn substitution_groups_leave_out_blocked_and_abstract_members() {
    let set = ok(r#"
      <xs:complexType name="b"><xs:sequence minOccurs="0"><xs:element name="x"/></xs:sequence></xs:complexType>
      <xs:complexType name="e"><xs:complexContent><xs:extension base="t:b"/></xs:complexContent></xs:complexType>
      <xs:element name="head" type="t:b" block="extension"/>
      <xs:element name="sameType" type="t:b" substitutionGroup="t:head"/>
      <xs:element name="extended" type="t:e" substitutionGroup="t:head"/>
      <xs:element name="abstractOne" type="t:b" abstract="true" substitutionGroup="t:head"/>
      <xs:element name="viaAbstract" type="t:b" substitutionGroup="t:abstractOne"/>
      <xs:element name="holder"><xs:complexType><xs:sequence>
        <xs:element ref="t:head"/>
      </xs:sequence></xs:complexType></xs:element>"#);
    let holder = set
        .element(Some("urn:t"), "holder")
        .map(|d| d.type_definition());
    let Some(holder) = holder else {
        panic!("no holder")
    };
    let index = (0..set.types.len())
        .map(|i| TypeIndex(i as u32))
        .find(|&i| TypeDefinition::new(&set, i) == holder)
        .unwrap_or(TypeIndex::ANY_TYPE);
    let TypeBody::Complex(ComplexRule {
        content: Content::Elements { automaton, .. },
        ..
    }) = &set.type_rule(index).body
    else {
        panic!("holder has no element content")
    };
    let Some(Leaf::Element { head, names }) = automaton.leaves().first() else {
        panic!("no element leaf")
    };
    let mut accepted: Vec<&str> = names
        .of(head)
        .iter()
        .map(|l| set.names_local(l.name))
        .collect();
    accepted.sort();
    assert_eq!(accepted, ["head", "sameType", "viaAbstract"]);
}

#[test]
fn particle_restrictions_are_checked() {
    let base = r#"<xs:complexType name="base"><xs:sequence>
        <xs:element name="a" type="xs:string"/>
        <xs:element name="b" type="xs:string" minOccurs="0" maxOccurs="3"/>
      </xs:sequence></xs:complexType>"#;
    let restrict = |content: &str| {
        format!(
            r#"{base}<xs:complexType name="r"><xs:complexContent><xs:restriction base="t:base">{content}</xs:restriction></xs:complexContent></xs:complexType>"#
        )
    };
    // Fewer occurrences, a derived type: fine.
    assert!(rules(&restrict(
        r#"<xs:sequence><xs:element name="a" type="xs:token"/><xs:element name="b" type="xs:string" maxOccurs="2"/></xs:sequence>"#
    ))
    .is_empty());
    // Dropping an optional particle: fine; dropping a required one is not.
    assert!(rules(&restrict(
        r#"<xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence>"#
    ))
    .is_empty());
    assert_eq!(
        rules(&restrict(
            r#"<xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence>"#
        )),
        ["rcase-Recurse.2"]
    );
    // More occurrences than the base allows.
    assert_eq!(
        rules(&restrict(
            r#"<xs:sequence><xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:string" maxOccurs="4"/></xs:sequence>"#
        )),
        ["rcase-Recurse.2"]
    );
    // A type that is not derived from the base element's type.
    assert_eq!(
        rules(&restrict(
            r#"<xs:sequence><xs:element name="a" type="xs:int"/></xs:sequence>"#
        )),
        ["rcase-Recurse.2"]
    );
}

#[test]
fn schema_level_errors_carry_rules_and_positions() {
    let errors = match compile(r#"<xs:element name="e" type="xs:int" fixed="abc"/>"#) {
        Err(e) => e,
        Ok(_) => panic!("accepted an invalid fixed value"),
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].rule, "e-props-correct.2");
    assert_eq!((errors[0].line, errors[0].column), (1, 96)); // the xs:element
    assert!(errors[0].message.contains("'abc'"), "{}", errors[0].message);
    assert_eq!(
        rules(
            r#"<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:length value="1"/><xs:maxLength value="2"/></xs:restriction></xs:simpleType>"#
        ),
        ["length-minLength-maxLength.1"]
    );
    assert_eq!(
        rules(
            r#"<xs:complexType name="c"><xs:attribute name="a" type="xs:ID"/><xs:attribute name="b" type="xs:ID"/></xs:complexType>"#
        ),
        ["ct-props-correct.5"]
    );
    assert_eq!(
        rules(r#"<xs:attribute name="a" type="xs:ID" default="x"/>"#),
        ["a-props-correct.3"]
    );
}

#[test]
fn built_in_types_are_named_in_the_xsd_namespace() {
    let set = ok("");
    let t = set.type_definition(Some(crate::schema::XSD_NS), "decimal");
    assert_eq!(t.and_then(|t| t.name()), Some("decimal"));
    assert!(t.is_some_and(|t| t.is_simple()));
    assert!(set
        .type_definition(Some(crate::schema::XSD_NS), "anyType")
        .is_some_and(|t| !t.is_simple() && t.is_mixed()));
}

#[test]
fn a_redefined_group_without_self_reference_must_restrict_the_original() {
    let original = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:group name="g"><xs:sequence>
    <xs:element name="a" maxOccurs="3"/><xs:element name="b" minOccurs="0"/>
  </xs:sequence></xs:group></xs:schema>"#;
    let compile = |group: &str| {
        let a = format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:redefine schemaLocation="o.xsd"><xs:group name="g">{group}</xs:group></xs:redefine></xs:schema>"#
        );
        let model = load_from_memory(&["a.xsd"], &[("a.xsd", &a), ("o.xsd", original)], None)?;
        SchemaSet::from_model(model)
    };
    // Fewer occurrences, an optional particle dropped: a restriction.
    let narrower = r#"<xs:sequence><xs:element name="a" maxOccurs="2"/></xs:sequence>"#;
    assert!(compile(narrower).is_ok(), "{:?}", compile(narrower).err());
    // A self-reference makes it an extension, which needs no restriction check.
    let extended = r#"<xs:sequence><xs:group ref="g"/><xs:element name="c"/></xs:sequence>"#;
    assert!(compile(extended).is_ok(), "{:?}", compile(extended).err());
    for group in [
        // Reordered, a superset, and a widened count.
        r#"<xs:sequence><xs:element name="b" minOccurs="0"/><xs:element name="a"/></xs:sequence>"#,
        r#"<xs:sequence><xs:element name="a"/><xs:element name="b" minOccurs="0"/><xs:element name="c"/></xs:sequence>"#,
        r#"<xs:sequence><xs:element name="a" maxOccurs="4"/></xs:sequence>"#,
    ] {
        let e = compile(group).expect_err(group);
        let rules: Vec<_> = e.iter().map(|e| e.rule).collect();
        assert_eq!(rules, ["src-redefine.6.2.2"], "{group}: {e:?}");
        assert!(e[0].message.contains("group 'g'"), "{}", e[0]);
    }
}

#[test]
fn a_restricting_wildcard_may_not_weaken_process_contents() {
    let types = |base: &str, derived: &str| {
        format!(
            r#"<xs:complexType name="B"><xs:sequence><xs:any processContents="{base}"/></xs:sequence><xs:anyAttribute processContents="{base}"/></xs:complexType>
<xs:complexType name="R"><xs:complexContent><xs:restriction base="t:B"><xs:sequence><xs:any processContents="{derived}"/></xs:sequence><xs:anyAttribute processContents="{derived}"/></xs:restriction></xs:complexContent></xs:complexType>"#
        )
    };
    for (base, derived) in [("skip", "lax"), ("lax", "strict"), ("lax", "lax")] {
        assert_eq!(
            rules(&types(base, derived)),
            Vec::<&str>::new(),
            "{base} -> {derived}"
        );
    }
    for (base, derived) in [("strict", "lax"), ("lax", "skip"), ("strict", "skip")] {
        assert_eq!(
            rules(&types(base, derived)),
            ["derivation-ok-restriction.4.3", "rcase-NSSubset.3"],
            "{base} -> {derived}"
        );
    }
}

#[test]
fn a_restricted_attribute_keeps_a_type_derived_from_the_base_attribute_type() {
    let types = |derived_type: &str| {
        format!(
            r#"<xs:simpleType name="Small"><xs:restriction base="xs:integer"><xs:maxInclusive value="9"/></xs:restriction></xs:simpleType>
<xs:simpleType name="U"><xs:union memberTypes="xs:integer xs:boolean"/></xs:simpleType>
<xs:complexType name="B"><xs:attribute name="a" type="{{base}}"/></xs:complexType>
<xs:complexType name="R"><xs:complexContent><xs:restriction base="t:B"><xs:attribute name="a" type="{derived_type}"/></xs:restriction></xs:complexContent></xs:complexType>"#
        )
    };
    let with_base = |base: &str, derived: &str| types(derived).replace("{base}", base);
    for (base, derived) in [
        ("xs:integer", "t:Small"),
        ("xs:integer", "xs:integer"),
        ("t:U", "xs:boolean"),
        ("xs:anySimpleType", "xs:date"),
    ] {
        assert_eq!(
            rules(&with_base(base, derived)),
            Vec::<&str>::new(),
            "{base} -> {derived}"
        );
    }
    for (base, derived) in [
        ("xs:integer", "t:U"),
        ("t:Small", "xs:integer"),
        ("xs:string", "xs:date"),
    ] {
        assert_eq!(
            rules(&with_base(base, derived)),
            ["derivation-ok-restriction.2.1.2"],
            "{base} -> {derived}"
        );
    }
}

#[test]
fn an_attribute_wildcard_union_that_is_not_expressible_is_an_error() {
    // ##other (of urn:t) extended by {absent, urn:b}: absent without urn:t (E1-10, 5.3).
    let schema = |extension: &str| {
        format!(
            r###"<xs:complexType name="B"><xs:anyAttribute namespace="##other"/></xs:complexType>
<xs:complexType name="E"><xs:complexContent><xs:extension base="t:B"><xs:anyAttribute namespace="{extension}"/></xs:extension></xs:complexContent></xs:complexType>"###
        )
    };
    assert_eq!(rules(&schema("##local urn:b")), ["cos-aw-union"]);
    assert_eq!(rules(&schema("urn:b")), Vec::<&str>::new());
    assert_eq!(
        rules(&schema("##local ##targetNamespace")),
        Vec::<&str>::new()
    );
}

#[test]
fn a_restriction_keeps_fixed_attribute_values() {
    let types = |derived: &str| {
        format!(
            r#"<xs:complexType name="B"><xs:attribute name="a" type="xs:decimal" fixed="1.0"/></xs:complexType>
<xs:complexType name="R"><xs:complexContent><xs:restriction base="t:B">{derived}</xs:restriction></xs:complexContent></xs:complexType>"#
        )
    };
    for derived in [
        "",
        r#"<xs:attribute name="a" type="xs:decimal" fixed="1.0"/>"#,
        // The same value in another lexical form.
        r#"<xs:attribute name="a" type="xs:decimal" fixed="1"/>"#,
    ] {
        assert_eq!(rules(&types(derived)), Vec::<&str>::new(), "{derived}");
    }
    for derived in [
        r#"<xs:attribute name="a" type="xs:decimal" fixed="2"/>"#,
        r#"<xs:attribute name="a" type="xs:decimal" default="1.0"/>"#,
        r#"<xs:attribute name="a" type="xs:decimal"/>"#,
    ] {
        assert_eq!(
            rules(&types(derived)),
            ["derivation-ok-restriction.2.1.3"],
            "{derived}"
        );
    }
}

#[test]
fn notation_enumerations_name_declared_notations() {
    let schema = |value: &str| {
        format!(
            r#"<xs:notation name="png" public="image/png"/>
<xs:simpleType name="N"><xs:restriction base="xs:NOTATION"><xs:enumeration value="{value}"/></xs:restriction></xs:simpleType>"#
        )
    };
    assert_eq!(rules(&schema("t:png")), Vec::<&str>::new());
    assert_eq!(rules(&schema("t:jpeg")), ["enumeration-valid-restriction"]);
    // Unprefixed and without a default namespace: {no namespace}png, which is not declared.
    assert_eq!(rules(&schema("png")), ["enumeration-valid-restriction"]);
}

#[test]
fn a_redefined_attribute_group_keeps_derived_attribute_types() {
    let original = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:attributeGroup name="g"><xs:attribute name="a" type="xs:decimal"/></xs:attributeGroup>
</xs:schema>"#;
    let compile = |attribute_type: &str| {
        let a = format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:redefine schemaLocation="o.xsd"><xs:attributeGroup name="g"><xs:attribute name="a" type="{attribute_type}"/></xs:attributeGroup></xs:redefine></xs:schema>"#
        );
        let model = load_from_memory(&["a.xsd"], &[("a.xsd", &a), ("o.xsd", original)], None)?;
        SchemaSet::from_model(model)
    };
    assert!(compile("xs:integer").is_ok());
    let e = compile("xs:boolean").expect_err("boolean is not derived from decimal");
    let rules: Vec<_> = e.iter().map(|e| e.rule).collect();
    assert_eq!(rules, ["derivation-ok-restriction.2.1.2"], "{e:?}");
}

#[test]
fn a_locally_empty_mixed_extension_needs_a_mixed_base() {
    let schema = |base_mixed: bool, attribute: &str| {
        format!(
            r#"<xs:complexType name="B" mixed="{base_mixed}"><xs:sequence><xs:element name="e"/></xs:sequence></xs:complexType>
<xs:complexType name="E"{attribute}><xs:complexContent><xs:extension base="t:B"/></xs:complexContent></xs:complexType>"#
        )
    };
    assert_eq!(rules(&schema(false, "")), Vec::<&str>::new());
    assert_eq!(rules(&schema(true, r#" mixed="true""#)), Vec::<&str>::new());
    // Not mixed itself: the mixed content type of the base is inherited.
    assert_eq!(
        rules(&schema(true, r#" mixed="false""#)),
        Vec::<&str>::new()
    );
    assert_eq!(
        rules(&schema(false, r#" mixed="true""#)),
        ["cos-ct-extends.1.4.3.2.2.1"]
    );
}

#[test]
fn length_with_min_length_only_where_the_base_already_has_that_min_length() {
    let restriction = |base: &str, facets: &str| {
        format!(
            r#"<xs:simpleType name="L"><xs:restriction base="xs:string"><xs:minLength value="2"/></xs:restriction></xs:simpleType>
<xs:simpleType name="s"><xs:restriction base="{base}">{facets}</xs:restriction></xs:simpleType>"#
        )
    };
    // XSD 1.0 second edition, length-minLength-maxLength: IDREFS has minLength 1 of its own.
    for (base, facets) in [
        (
            "xs:IDREFS",
            r#"<xs:length value="5"/><xs:minLength value="1"/>"#,
        ),
        ("xs:NMTOKENS", r#"<xs:length value="5"/>"#),
        ("t:L", r#"<xs:length value="3"/><xs:minLength value="2"/>"#),
    ] {
        assert_eq!(
            rules(&restriction(base, facets)),
            Vec::<&str>::new(),
            "{base} {facets}"
        );
    }
    for (base, facets) in [
        (
            "xs:IDREFS",
            r#"<xs:length value="5"/><xs:minLength value="2"/>"#,
        ),
        (
            "xs:string",
            r#"<xs:length value="5"/><xs:minLength value="1"/>"#,
        ),
        ("t:L", r#"<xs:length value="3"/><xs:maxLength value="3"/>"#),
    ] {
        assert_eq!(
            rules(&restriction(base, facets)),
            ["length-minLength-maxLength.1"],
            "{base} {facets}"
        );
    }
}

#[test]
fn simple_types_beyond_the_nesting_and_expansion_limits_are_refused() {
    use crate::datatypes::weight::{MAX_SIMPLE_DEPTH, MAX_VALUE_CHECKS};
    // U0 has 2 members; U(k) = union(U(k-1), U(k-1)) expands to 2^(k+1) member checks.
    let unions = |last: u32| {
        let mut body = String::from(
            r#"<xs:simpleType name="U0"><xs:union memberTypes="xs:int xs:date"/></xs:simpleType>"#,
        );
        for k in 1..=last {
            body.push_str(&format!(
                r#"<xs:simpleType name="U{k}"><xs:union memberTypes="t:U{p} t:U{p}"/></xs:simpleType>"#,
                p = k - 1
            ));
        }
        body
    };
    assert_eq!(1u64 << 16, MAX_VALUE_CHECKS);
    ok(&unions(15));
    let errors = compile(&unions(16)).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].rule, "xsd-limit.simple-type");
    assert!(
        errors[0].message.contains("{urn:t}U16")
            && errors[0].message.contains("131072")
            && errors[0].message.contains(&MAX_VALUE_CHECKS.to_string()),
        "{}",
        errors[0].message
    );

    // D0 restricts xs:string (a built-in weighs 1): D(k) is k + 2 levels deep.
    let chain = |last: u32| {
        let mut body = String::from(
            r#"<xs:simpleType name="D0"><xs:restriction base="xs:string"/></xs:simpleType>"#,
        );
        for k in 1..=last {
            body.push_str(&format!(
                r#"<xs:simpleType name="D{k}"><xs:restriction base="t:D{p}"/></xs:simpleType>"#,
                p = k - 1
            ));
        }
        body
    };
    let deepest = MAX_SIMPLE_DEPTH - 2;
    ok(&chain(deepest));
    let errors = compile(&chain(deepest + 1)).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].rule, "xsd-limit.simple-type");
    let name = format!("{{urn:t}}D{}", deepest + 1);
    assert!(
        errors[0].message.contains(&name)
            && errors[0]
                .message
                .contains(&format!("limit of {MAX_SIMPLE_DEPTH}")),
        "{}",
        errors[0].message
    );
}
