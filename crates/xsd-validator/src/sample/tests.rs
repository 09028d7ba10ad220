//! Generation from small in-memory schemas, each instance judged by xmllint where present and
//! checked for the construct under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::schema::load_from_memory;

/// Whether xmllint can be run; under CI=true its absence fails the test.
pub(super) fn xmllint_available() -> bool {
    let ok = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but xmllint is not installed"
        );
        eprintln!("skipping the xmllint verdicts: xmllint not found");
    }
    ok
}

/// xmllint's verdict on `instance` against `schema`: Ok, or its messages.
pub(super) fn xmllint(
    schema: &Path,
    instance: &Path,
    catalog: Option<&Path>,
) -> Result<(), String> {
    let mut cmd = Command::new("xmllint");
    cmd.args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(instance);
    if let Some(c) = catalog {
        cmd.env("XML_CATALOG_FILES", c);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
        Err(e) => Err(format!("xmllint did not run: {e}")),
    }
}

/// A fresh scratch directory under the target dir's tmp (removed by the test on success).
pub(super) fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xsd-sample-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    dir
}

fn model(xsd: &str) -> SchemaModel {
    match load_from_memory(&["s.xsd"], &[("s.xsd", xsd)], None) {
        Ok(m) => m,
        Err(e) => panic!("schema does not load: {e:?}"),
    }
}

fn opts(optional: Optionality, seed: u64) -> SampleOptions {
    SampleOptions {
        seed,
        optional_elements: optional,
        ..SampleOptions::default()
    }
}

/// Generates with each optionality and a few seeds; every document must be well-formed and,
/// where xmllint exists, valid. Returns the Minimal and All documents of seed 0.
fn generate_valid(xsd: &str, root: (Option<&str>, &str)) -> (String, String) {
    let m = model(xsd);
    let lint = xmllint_available();
    let dir = scratch_dir("unit");
    let schema = dir.join("s.xsd");
    if let Err(e) = std::fs::write(&schema, xsd) {
        panic!("{e}");
    }
    let mut docs = Vec::new();
    let variants = [
        (Optionality::Minimal, ChoiceStrategy::First),
        (Optionality::All, ChoiceStrategy::First),
        (Optionality::Random(0.5), ChoiceStrategy::Random),
    ];
    for (optional, choice) in variants {
        for seed in 0..4 {
            let o = SampleOptions {
                choice,
                ..opts(optional, seed)
            };
            let doc = match generate(&m, root, &o) {
                Ok(d) => d,
                Err(e) => panic!("{optional:?} seed {seed}: {e}"),
            };
            if let Err(e) = roxmltree::Document::parse(&doc) {
                panic!("not well-formed ({e}):\n{doc}");
            }
            if lint {
                let file = dir.join("i.xml");
                if let Err(e) = std::fs::write(&file, &doc) {
                    panic!("{e}");
                }
                if let Err(msg) = xmllint(&schema, &file, None) {
                    panic!("{optional:?} seed {seed}: xmllint rejects\n{doc}\n{msg}");
                }
            }
            docs.push(doc);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let all = docs.get(4).cloned().unwrap_or_default();
    (docs.swap_remove(0), all)
}

const HEAD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">"#;

#[test]
fn particles_occurrences_and_attributes() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="root">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="req" type="xs:string"/>
        <xs:element name="opt" type="xs:int" minOccurs="0"/>
        <xs:element name="many" type="xs:boolean" minOccurs="2" maxOccurs="unbounded"/>
        <xs:choice>
          <xs:element name="c1" type="xs:date"/>
          <xs:element name="c2" type="xs:time"/>
        </xs:choice>
        <xs:group ref="t:g"/>
      </xs:sequence>
      <xs:attribute name="a" type="xs:token" use="required"/>
      <xs:attribute name="b" type="xs:decimal"/>
      <xs:attribute name="f" type="xs:string" fixed="fest"/>
      <xs:attributeGroup ref="t:ag"/>
    </xs:complexType>
  </xs:element>
  <xs:group name="g"><xs:sequence><xs:element name="allEl" type="t:AllType"/></xs:sequence></xs:group>
  <xs:complexType name="AllType"><xs:all><xs:element name="x" type="xs:byte"/><xs:element name="y" type="xs:byte" minOccurs="0"/></xs:all></xs:complexType>
  <xs:attributeGroup name="ag"><xs:attribute name="fromGroup" type="xs:NCName" use="required"/></xs:attributeGroup>
</xs:schema>"#
    );
    let (min, all) = generate_valid(&xsd, (Some("urn:t"), "root"));
    assert!(min.contains("<t:root xmlns:t=\"urn:t\""), "{min}");
    assert!(
        !min.contains("<t:opt>") && all.contains("<t:opt>"),
        "{min}\n{all}"
    );
    assert_eq!(min.matches("<t:many>").count(), 2, "{min}");
    assert!(
        min.contains("<t:c1>") && !min.contains("<t:c2>"),
        "First takes the first branch"
    );
    assert!(min.contains(" a=\"") && !min.contains(" b=\"") && all.contains(" b=\""));
    assert!(all.contains(" f=\"fest\""), "{all}");
    assert!(min.contains(" fromGroup=\""), "{min}");
}

#[test]
fn same_seed_same_document_and_seeds_vary() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element name="v" maxOccurs="5" type="xs:string"/>
    <xs:choice><xs:element name="p" type="xs:int"/><xs:element name="q" type="xs:int"/></xs:choice>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"#
    );
    let m = model(&xsd);
    let o = |seed| SampleOptions {
        seed,
        optional_elements: Optionality::Random(0.5),
        choice: ChoiceStrategy::Random,
        ..SampleOptions::default()
    };
    let a = generate(&m, (Some("urn:t"), "r"), &o(3));
    assert_eq!(a, generate(&m, (Some("urn:t"), "r"), &o(3)));
    let distinct: std::collections::HashSet<_> = (0..8)
        .map(|s| generate(&m, (Some("urn:t"), "r"), &o(s)).unwrap_or_default())
        .collect();
    assert!(distinct.len() > 1, "seeds make different documents");
}

#[test]
fn unqualified_locals_and_qualified_attributes() {
    let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t"
        targetNamespace="urn:t" attributeFormDefault="qualified">
      <xs:element name="r"><xs:complexType><xs:sequence>
        <xs:element name="local" type="xs:string"/>
        <xs:element ref="t:glob"/>
      </xs:sequence><xs:attribute name="qa" type="xs:string" use="required"/></xs:complexType></xs:element>
      <xs:element name="glob" type="xs:string"/>
    </xs:schema>"#;
    let (min, _) = generate_valid(xsd, (Some("urn:t"), "r"));
    assert!(min.contains("<local>") && min.contains("<t:glob>"), "{min}");
    assert!(min.contains(" t:qa=\""), "{min}");
}

#[test]
fn substitution_groups_and_abstract_types() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element ref="t:head"/>
    <xs:element ref="t:concreteHead"/>
    <xs:element name="typed" type="t:Abstract"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="head" abstract="true" type="t:Base"/>
  <xs:element name="member" substitutionGroup="t:head" type="t:Derived"/>
  <xs:element name="concreteHead" type="xs:string"/>
  <xs:element name="other" substitutionGroup="t:concreteHead" type="xs:string"/>
  <xs:complexType name="Base"><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence></xs:complexType>
  <xs:complexType name="Derived"><xs:complexContent><xs:extension base="t:Base">
    <xs:sequence><xs:element name="d" type="xs:int"/></xs:sequence>
  </xs:extension></xs:complexContent></xs:complexType>
  <xs:complexType name="Abstract" abstract="true"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType>
  <xs:complexType name="Impl"><xs:complexContent><xs:extension base="t:Abstract">
    <xs:attribute name="extra" type="xs:int" use="required"/>
  </xs:extension></xs:complexContent></xs:complexType>
</xs:schema>"#
    );
    let (min, _) = generate_valid(&xsd, (Some("urn:t"), "r"));
    assert!(
        min.contains("<t:member>") && !min.contains("<t:head>"),
        "{min}"
    );
    assert!(
        min.contains("<t:concreteHead>"),
        "a non-abstract head is used: {min}"
    );
    assert!(
        min.contains("xsi:type=\"t:Impl\"") && min.contains(" extra=\""),
        "{min}"
    );
    // Extension: base content first, then own.
    let b = min.find("<t:b>").unwrap_or(usize::MAX);
    let d = min.find("<t:d>").unwrap_or(0);
    assert!(b < d, "{min}");
}

#[test]
fn restriction_simple_content_mixed_and_prohibited() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element name="code" type="t:Code"/>
    <xs:element name="restricted" type="t:Restricted"/>
    <xs:element name="mixed" type="t:Mixed"/>
    <xs:element name="empty"><xs:complexType/></xs:element>
    <xs:element name="fixedEl" type="xs:int" fixed="42"/>
    <xs:element name="nil" type="xs:int" nillable="true"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:complexType name="Code"><xs:simpleContent><xs:extension base="xs:token">
    <xs:attribute name="listVersionID" type="xs:normalizedString" use="required" fixed="1.0"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="Wide"><xs:sequence>
    <xs:element name="w1" type="xs:string" minOccurs="0"/>
    <xs:element name="w2" type="xs:string"/>
  </xs:sequence><xs:attribute name="gone" type="xs:string"/></xs:complexType>
  <xs:complexType name="Restricted"><xs:complexContent><xs:restriction base="t:Wide">
    <xs:sequence><xs:element name="w2" type="xs:string"/></xs:sequence>
    <xs:attribute name="gone" use="prohibited"/>
  </xs:restriction></xs:complexContent></xs:complexType>
  <xs:complexType name="Mixed" mixed="true"><xs:sequence>
    <xs:element name="m" type="xs:string" minOccurs="0"/>
  </xs:sequence></xs:complexType>
</xs:schema>"#
    );
    let (min, all) = generate_valid(&xsd, (Some("urn:t"), "r"));
    assert!(min.contains("listVersionID=\"1.0\""), "{min}");
    assert!(!all.contains("<t:w1>") && !all.contains(" gone="), "{all}");
    assert!(min.contains("<t:fixedEl>42</t:fixedEl>"), "{min}");
    assert!(!all.contains("xsi:nil"), "{all}");
    assert!(min.contains("<t:mixed>Text</t:mixed>"), "{min}");
}

#[test]
fn simple_types_with_facets_lists_and_unions() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element name="plz"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="\d{{5}}"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="name"><xs:simpleType><xs:restriction base="xs:string">
      <xs:pattern value="[\p{{Lu}}][\p{{Ll}}]*( [\p{{Lu}}][\p{{Ll}}]*)*"/><xs:minLength value="12"/><xs:maxLength value="14"/>
    </xs:restriction></xs:simpleType></xs:element>
    <xs:element name="enum"><xs:simpleType><xs:restriction base="xs:token">
      <xs:enumeration value="eins"/><xs:enumeration value="zwei"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="amount"><xs:simpleType><xs:restriction base="xs:decimal">
      <xs:totalDigits value="5"/><xs:fractionDigits value="2"/><xs:minExclusive value="0.5"/><xs:maxInclusive value="0.75"/>
    </xs:restriction></xs:simpleType></xs:element>
    <xs:element name="small"><xs:simpleType><xs:restriction base="xs:integer">
      <xs:minInclusive value="-3"/><xs:maxExclusive value="-1"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="fl"><xs:simpleType><xs:restriction base="xs:double"><xs:maxExclusive value="1e-3"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="fixedLen"><xs:simpleType><xs:restriction base="xs:string"><xs:length value="7"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="hex"><xs:simpleType><xs:restriction base="xs:hexBinary"><xs:length value="3"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="b64"><xs:simpleType><xs:restriction base="xs:base64Binary"><xs:minLength value="5"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="list"><xs:simpleType><xs:restriction><xs:simpleType><xs:list itemType="xs:int"/></xs:simpleType><xs:length value="3"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="union"><xs:simpleType><xs:union memberTypes="xs:date t:Short"/></xs:simpleType></xs:element>
    <xs:element name="late"><xs:simpleType><xs:restriction base="xs:date"><xs:minInclusive value="2100-01-01"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="qn" type="xs:QName"/>
    <xs:element name="lang" type="xs:language"/>
    <xs:element name="uri"><xs:simpleType><xs:restriction base="xs:anyURI"><xs:maxLength value="10"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="tokens" type="xs:NMTOKENS"/>
    <xs:element name="dur" type="xs:duration"/>
    <xs:element name="dt" type="xs:dateTime"/>
    <xs:element name="gym" type="xs:gYearMonth"/>
    <xs:element name="ul" type="xs:unsignedLong"/>
    <xs:element name="neg" type="xs:negativeInteger"/>
  </xs:sequence>
  <xs:attribute name="id" type="xs:ID" use="required"/>
  <xs:attribute name="ref" type="xs:IDREF" use="required"/>
  </xs:complexType></xs:element>
  <xs:simpleType name="Short"><xs:restriction base="xs:string"><xs:maxLength value="2"/></xs:restriction></xs:simpleType>
</xs:schema>"#
    );
    let (min, _) = generate_valid(&xsd, (Some("urn:t"), "r"));
    let doc = match roxmltree::Document::parse(&min) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let text = |name: &str| {
        doc.descendants()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(text("plz").len(), 5);
    assert!(
        (12..=14).contains(&text("name").chars().count()),
        "{}",
        text("name")
    );
    assert!(["eins", "zwei"].contains(&text("enum").as_str()));
    assert_eq!(text("list").split(' ').count(), 3);
    assert_eq!(text("hex").len(), 6);
    let root = doc.root_element();
    assert_eq!(
        root.attribute("ref"),
        root.attribute("id"),
        "IDREF points at the ID"
    );
}

#[test]
fn recursion_is_bounded_and_endless_recursion_is_an_error() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="tree" type="t:Node"/>
  <xs:complexType name="Node"><xs:sequence>
    <xs:element name="label" type="xs:string"/>
    <xs:element name="child" type="t:Node" minOccurs="0" maxOccurs="2"/>
    <xs:choice><xs:element name="deeper" type="t:Node"/><xs:element name="leaf" type="xs:string"/></xs:choice>
  </xs:sequence></xs:complexType>
  <xs:element name="endless"><xs:complexType><xs:sequence><xs:element ref="t:endless"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>"#
    );
    let (_, all) = generate_valid(&xsd, (Some("urn:t"), "tree"));
    assert!(all.contains("<t:leaf>"), "{all}");
    let m = model(&xsd);
    match generate(&m, (Some("urn:t"), "endless"), &SampleOptions::default()) {
        Err(SampleError::TooDeep { .. }) => {}
        other => panic!("expected TooDeep, got {other:?}"),
    }
}

#[test]
fn wildcards() {
    let xsd = format!(
        r###"{HEAD}
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:any namespace="##targetNamespace"/>
    <xs:any namespace="##other" processContents="lax"/>
    <xs:any namespace="##other" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="strictStrict"><xs:complexType><xs:sequence><xs:any namespace="urn:nowhere"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="small" type="xs:int"/>
</xs:schema>"###
    );
    let (min, _) = generate_valid(&xsd, (Some("urn:t"), "r"));
    assert!(min.contains(":beliebig"), "{min}");
    let m = model(&xsd);
    match generate(
        &m,
        (Some("urn:t"), "strictStrict"),
        &SampleOptions::default(),
    ) {
        Err(SampleError::Wildcard { .. }) => {}
        other => panic!("expected a wildcard error, got {other:?}"),
    }
}

#[test]
fn errors_name_the_problem() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="r" type="t:Impossible"/>
  <xs:simpleType name="Impossible"><xs:restriction base="xs:string">
    <xs:pattern value="[a-z]{{3}}"/><xs:length value="5"/>
  </xs:restriction></xs:simpleType>
</xs:schema>"#
    );
    let m = model(&xsd);
    match generate(&m, (Some("urn:t"), "r"), &SampleOptions::default()) {
        Err(SampleError::Unsatisfiable { type_name, .. }) => {
            assert_eq!(type_name, "{urn:t}Impossible")
        }
        other => panic!("expected Unsatisfiable, got {other:?}"),
    }
    match generate(&m, (Some("urn:t"), "missing"), &SampleOptions::default()) {
        Err(SampleError::UnknownRoot { name }) => assert_eq!(name, "{urn:t}missing"),
        other => panic!("expected UnknownRoot, got {other:?}"),
    }
}

#[test]
fn identity_constraints_hold() {
    let xsd = format!(
        r#"{HEAD}
  <xs:element name="r">
    <xs:complexType><xs:sequence>
      <xs:element name="person" maxOccurs="unbounded" minOccurs="2"><xs:complexType><xs:sequence>
        <xs:element name="nr" type="t:Digit" minOccurs="0"/>
        <xs:element name="code" type="t:Digit"/>
      </xs:sequence><xs:attribute name="id" type="t:Digit"/></xs:complexType></xs:element>
      <xs:element name="ref" type="t:Digit" maxOccurs="3"/>
    </xs:sequence></xs:complexType>
    <xs:key name="k"><xs:selector xpath="t:person"/><xs:field xpath="t:nr"/></xs:key>
    <xs:unique name="u"><xs:selector xpath="t:person"/><xs:field xpath="t:code"/><xs:field xpath="@id"/></xs:unique>
    <xs:keyref name="kr" refer="t:k"><xs:selector xpath="t:ref"/><xs:field xpath="."/></xs:keyref>
  </xs:element>
  <xs:simpleType name="Digit"><xs:restriction base="xs:string"><xs:pattern value="[0-9]"/></xs:restriction></xs:simpleType>
</xs:schema>"#
    );
    let (min, _) = generate_valid(&xsd, (Some("urn:t"), "r"));
    assert_eq!(
        min.matches("<t:nr>").count(),
        2,
        "key fields are forced: {min}"
    );
}
