//! Tests of the whole loading pipeline: in-memory constructs and the real XÖV corpus.

use crate::datatypes::Builtin;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::*;

mod corpus {
    use super::*;

    fn shared() -> Option<PathBuf> {
        let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
        if p.join("xoev").is_dir() {
            return Some(p);
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the shared corpus is missing at {}",
            p.display()
        );
        eprintln!("skipping: shared corpus not found at {}", p.display());
        None
    }

    fn xsd_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                xsd_files(&p, out);
            } else if p.extension().is_some_and(|e| e == "xsd") {
                out.push(p);
            }
        }
    }

    /// Loads every file of a set as its own entry; returns how many loaded.
    fn load_each(name: &str, files: &[PathBuf], catalog: Option<&Catalog>) -> usize {
        let start = Instant::now();
        let mut failures = Vec::new();
        for f in files {
            if let Err(errors) = load_with_catalog(std::slice::from_ref(f), catalog) {
                failures.push(format!(
                    "{}:\n  {}",
                    f.display(),
                    errors
                        .iter()
                        .take(5)
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n  ")
                ));
            }
        }
        eprintln!(
            "{name}: {} files, each loaded as the entry, in {:?}",
            files.len(),
            start.elapsed()
        );
        assert!(
            failures.is_empty(),
            "{name}: {} failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
        files.len()
    }

    #[test]
    fn every_xoev_schema_file_loads() {
        let Some(shared) = shared() else { return };
        let xoev = shared.join("xoev");
        let mut xbau = Vec::new();
        xsd_files(&xoev.join("xbau-2.6"), &mut xbau);
        let mut xdomea = Vec::new();
        xsd_files(&xoev.join("xdomea-3.0.0"), &mut xdomea);
        let mut xjustiz = Vec::new();
        xsd_files(&xoev.join("xjustiz-3.6.2"), &mut xjustiz);
        let mut xwasser = Vec::new();
        xsd_files(&xoev.join("xwasser-1.0.0/schemas"), &mut xwasser);
        let catalog = match Catalog::load(&xoev.join("xwasser-1.0.0/catalog.xml")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(load_each("XBau 2.6", &xbau, None), 45);
        assert_eq!(load_each("xdomea", &xdomea, None), 54);
        assert_eq!(load_each("XJustiz 3.6.2", &xjustiz, None), 74);
        assert_eq!(load_each("XWasser 1.0", &xwasser, Some(&catalog)), 10);
    }

    #[test]
    fn manifest_schemas_load_and_all_of_xjustiz_is_fast() {
        let Some(shared) = shared() else { return };
        let xoev = shared.join("xoev");
        let manifest = match std::fs::read_to_string(xoev.join("MANIFEST.tsv")) {
            Ok(m) => m,
            Err(e) => panic!("MANIFEST.tsv: {e}"),
        };
        let mut seen = std::collections::HashSet::new();
        for line in manifest.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(schema), catalog) = (cols.first(), cols.get(3).filter(|c| !c.is_empty()))
            else {
                continue;
            };
            if !seen.insert((schema.to_string(), catalog.map(|c| c.to_string()))) {
                continue;
            }
            let start = Instant::now();
            let catalog = catalog.map(|c| xoev.join(c));
            let result = load(&[xoev.join(schema)], catalog.as_deref());
            match result {
                Ok(m) => eprintln!(
                    "{schema}: {} documents, {} types, {} elements in {:?}",
                    m.documents.len(),
                    m.types.len(),
                    m.elements.len(),
                    start.elapsed()
                ),
                Err(errors) => panic!(
                    "{schema}: {}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            }
        }
        assert!(
            seen.len() >= 5,
            "MANIFEST.tsv names too few schemas: {}",
            seen.len()
        );

        // All of XJustiz as one schema set.
        let mut xjustiz = Vec::new();
        xsd_files(&xoev.join("xjustiz-3.6.2"), &mut xjustiz);
        let start = Instant::now();
        match load(&xjustiz, None) {
            Ok(m) => eprintln!(
                "XJustiz 3.6.2 as one set: {} documents, {} types, {} elements in {:?}",
                m.documents.len(),
                m.types.len(),
                m.elements.len(),
                start.elapsed()
            ),
            Err(errors) => panic!(
                "{}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

const XS: &str = r#"xmlns:xs="http://www.w3.org/2001/XMLSchema""#;

fn ok(entries: &[&str], docs: &[(&str, &str)]) -> SchemaModel {
    match load_from_memory(entries, docs, None) {
        Ok(m) => m,
        Err(errors) => panic!(
            "unexpected errors:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn errors(entries: &[&str], docs: &[(&str, &str)]) -> Vec<SchemaError> {
    match load_from_memory(entries, docs, None) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    }
}

fn one_doc_errors(body: &str) -> Vec<SchemaError> {
    let text =
        format!(r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">{body}</xs:schema>"#);
    errors(&["a.xsd"], &[("a.xsd", &text)])
}

fn rules(errors: &[SchemaError]) -> Vec<&'static str> {
    errors.iter().map(|e| e.rule).collect()
}

fn complex(m: &SchemaModel, t: TypeRef) -> &ComplexTypeDef {
    match t {
        TypeRef::Defined(id) => match m.type_def(id) {
            Some(TypeDef::Complex(c)) => c,
            other => panic!("not complex: {other:?}"),
        },
        builtin => panic!("builtin {builtin:?}"),
    }
}

fn simple(m: &SchemaModel, t: TypeRef) -> &SimpleTypeDef {
    match t {
        TypeRef::Defined(id) => match m.type_def(id) {
            Some(TypeDef::Simple(s)) => s,
            other => panic!("not simple: {other:?}"),
        },
        builtin => panic!("builtin {builtin:?}"),
    }
}

fn element<'m>(m: &'m SchemaModel, ns: Option<&str>, local: &str) -> &'m ElementDecl {
    match m.element(ns, local).and_then(|id| m.element_decl(id)) {
        Some(e) => e,
        None => panic!("no element {local}"),
    }
}

fn particles(c: &ComplexTypeDef) -> &[Particle] {
    match &c.content {
        ComplexContent::Complex {
            particle:
                Some(Particle {
                    term: Term::ModelGroup(mg),
                    ..
                }),
        } => &mg.particles,
        other => panic!("no model group: {other:?}"),
    }
}

#[test]
fn elements_types_and_forms() {
    let m = ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r###"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified" blockDefault="#all">
  <xs:element name="root" type="t:R" nillable="true"/>
  <xs:complexType name="R" mixed="true">
    <xs:sequence minOccurs="0" maxOccurs="unbounded">
      <xs:element name="a" type="xs:string" default="x"/>
      <xs:element name="b" form="unqualified" maxOccurs="99999999999999999999999">
        <xs:simpleType><xs:restriction base="xs:int"><xs:maxInclusive value="5" fixed="true"/></xs:restriction></xs:simpleType>
      </xs:element>
      <xs:element ref="t:root" minOccurs="0"/>
      <xs:any namespace="##other" processContents="lax"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:ID" use="required"/>
    <xs:anyAttribute namespace="##local urn:x ##targetNamespace"/>
  </xs:complexType>
</xs:schema>"###
            ),
        )],
    );
    let root = element(&m, Some("urn:t"), "root");
    assert!(root.nillable && root.global);
    assert_eq!(
        root.block,
        DerivationSet::EXTENSION
            .union(DerivationSet::RESTRICTION)
            .union(DerivationSet::SUBSTITUTION)
    );
    let r = complex(&m, root.type_def);
    assert!(r.mixed);
    let ps = particles(r);
    assert_eq!(ps.len(), 4);
    let Term::Element(a) = ps[0].term else {
        panic!("a")
    };
    let a = &m.elements[a.index()];
    assert_eq!(m.namespaces.uri(a.name.namespace), Some("urn:t"));
    assert_eq!(a.type_def, TypeRef::Builtin(Builtin::String));
    assert_eq!(
        a.value_constraint,
        Some(ValueConstraint::Default("x".into()))
    );
    let Term::Element(b) = ps[1].term else {
        panic!("b")
    };
    let b = &m.elements[b.index()];
    assert_eq!(b.name.namespace, NamespaceId::ABSENT);
    assert_eq!(ps[1].max_occurs, MaxOccurs::Bounded(u64::MAX));
    let SimpleVariety::Restriction { base, facets } = &simple(&m, b.type_def).variety else {
        panic!("restriction")
    };
    assert_eq!(*base, TypeRef::Builtin(Builtin::Int));
    assert_eq!(
        (facets[0].kind, facets[0].value.as_str(), facets[0].fixed),
        (FacetKind::MaxInclusive, "5", true)
    );
    assert_eq!(
        ps[2].term,
        Term::Element(
            m.element(Some("urn:t"), "root")
                .unwrap_or(ElementId(u32::MAX))
        )
    );
    assert_eq!(ps[2].min_occurs, 0);
    let Term::Wildcard(w) = &ps[3].term else {
        panic!("any")
    };
    assert_eq!(w.process_contents, ProcessContents::Lax);
    assert_eq!(
        w.namespaces,
        NamespaceConstraint::Not(
            m.namespaces
                .get(Some("urn:t"))
                .unwrap_or(NamespaceId::ABSENT)
        )
    );
    assert_eq!(r.attribute_uses.len(), 1);
    assert_eq!(r.attribute_uses[0].use_kind, AttributeUseKind::Required);
    let NamespaceConstraint::Set(set) = &r.attribute_wildcards[0].namespaces else {
        panic!("set")
    };
    assert_eq!(set.len(), 3);
    assert_eq!(r.location.line, 3);
}

#[test]
fn simple_types_list_union_and_facet_namespaces() {
    let m = ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:simpleType name="L"><xs:list itemType="t:E"/></xs:simpleType>
  <xs:simpleType name="E" final="list">
    <xs:restriction base="xs:QName"><xs:enumeration xmlns:q="urn:q" value="q:a"/><xs:enumeration value="t:b"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="U"><xs:union memberTypes="t:L xs:int"><xs:simpleType><xs:list itemType="xs:date"/></xs:simpleType></xs:union></xs:simpleType>
</xs:schema>"#
            ),
        )],
    );
    let l = m
        .type_named(Some("urn:t"), "L")
        .map(TypeRef::Defined)
        .unwrap_or(TypeRef::AnyType);
    let e = m
        .type_named(Some("urn:t"), "E")
        .map(TypeRef::Defined)
        .unwrap_or(TypeRef::AnyType);
    assert!(matches!(simple(&m, l).variety, SimpleVariety::List { item } if item == e));
    let e_def = simple(&m, e);
    assert_eq!(e_def.final_set, DerivationSet::LIST);
    let SimpleVariety::Restriction { facets, .. } = &e_def.variety else {
        panic!()
    };
    let scope0 = m
        .namespace_scope(facets[0].namespaces)
        .map(|s| s.lookup(Some("q")));
    let scope1 = m
        .namespace_scope(facets[1].namespaces)
        .map(|s| s.lookup(Some("q")));
    assert_eq!(scope0, Some(m.namespaces.get(Some("urn:q"))));
    assert_eq!(scope1, Some(None));
    let u = m
        .type_named(Some("urn:t"), "U")
        .map(TypeRef::Defined)
        .unwrap_or(TypeRef::AnyType);
    let SimpleVariety::Union { members } = &simple(&m, u).variety else {
        panic!()
    };
    assert_eq!(members.len(), 3);
    assert_eq!(members[0], l);
    assert_eq!(members[1], TypeRef::Builtin(Builtin::Int));
    assert!(matches!(
        simple(&m, members[2]).variety,
        SimpleVariety::List {
            item: TypeRef::Builtin(Builtin::Date)
        }
    ));
}

#[test]
fn chameleon_include_takes_the_includers_namespace() {
    let m = ok(
        &["main.xsd"],
        &[
            (
                "main.xsd",
                &format!(
                    r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t"><xs:include schemaLocation="sub/cham.xsd"/><xs:element name="e" type="t:C"/></xs:schema>"#
                ),
            ),
            (
                "sub/cham.xsd",
                &format!(
                    r#"<xs:schema {XS}><xs:include schemaLocation="../main.xsd"/><xs:complexType name="C"><xs:sequence><xs:element name="x" type="S"/></xs:sequence></xs:complexType><xs:simpleType name="S"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>"#
                ),
            ),
        ],
    );
    assert_eq!(m.documents.len(), 2);
    assert!(m.documents[1].chameleon);
    let c = complex(&m, element(&m, Some("urn:t"), "e").type_def);
    let Term::Element(x) = particles(c)[0].term else {
        panic!()
    };
    assert_eq!(
        m.elements[x.index()].type_def,
        TypeRef::Defined(m.type_named(Some("urn:t"), "S").unwrap_or(TypeId(u32::MAX)))
    );
    assert!(m.type_named(None, "S").is_none());
}

#[test]
fn include_of_another_namespace_is_an_error() {
    let e = errors(
        &["a.xsd"],
        &[
            (
                "a.xsd",
                &format!(
                    r#"<xs:schema {XS} targetNamespace="urn:a"><xs:include schemaLocation="b.xsd"/></xs:schema>"#
                ),
            ),
            (
                "b.xsd",
                &format!(r#"<xs:schema {XS} targetNamespace="urn:b"/>"#),
            ),
        ],
    );
    assert_eq!(rules(&e), ["src-include.2.1"]);
}

#[test]
fn imports_with_and_without_location() {
    let m = ok(
        &["a.xsd"],
        &[
            (
                "a.xsd",
                &format!(
                    r#"<xs:schema {XS} xmlns:b="urn:b" targetNamespace="urn:a">
  <xs:import namespace="urn:b" schemaLocation="b.xsd"/>
  <xs:import namespace="urn:unused"/>
  <xs:import namespace="urn:b" schemaLocation="http://elsewhere.example/b.xsd"/>
  <xs:element name="e" type="b:T"/>
</xs:schema>"#
                ),
            ),
            (
                "b.xsd",
                &format!(
                    r#"<xs:schema {XS} targetNamespace="urn:b"><xs:import namespace="urn:a" schemaLocation="a.xsd"/><xs:complexType name="T"/></xs:schema>"#
                ),
            ),
        ],
    );
    assert_eq!(m.documents.len(), 2);
    // The same namespace from two byte-identical copies, and from two documents.
    let lib = format!(
        r#"<xs:schema {XS} targetNamespace="urn:b"><xs:complexType name="T"/></xs:schema>"#
    );
    let m = ok(
        &["a.xsd"],
        &[
            (
                "a.xsd",
                &format!(
                    r#"<xs:schema {XS} targetNamespace="urn:a">
  <xs:import namespace="urn:b" schemaLocation="one/b.xsd"/><xs:import namespace="urn:b" schemaLocation="two/b.xsd"/>
  <xs:import namespace="urn:b" schemaLocation="b2.xsd"/><xs:import namespace="urn:b" schemaLocation="gone.xsd"/>
</xs:schema>"#
                ),
            ),
            ("one/b.xsd", &lib),
            ("two/b.xsd", &lib),
            (
                "b2.xsd",
                &format!(
                    r#"<xs:schema {XS} targetNamespace="urn:b"><xs:complexType name="T2"/></xs:schema>"#
                ),
            ),
        ],
    );
    assert_eq!(m.documents.len(), 3);
    assert!(
        m.type_named(Some("urn:b"), "T").is_some() && m.type_named(Some("urn:b"), "T2").is_some()
    );
    let e = errors(
        &["a.xsd"],
        &[
            (
                "a.xsd",
                &format!(
                    r#"<xs:schema {XS} targetNamespace="urn:a"><xs:import namespace="urn:b" schemaLocation="b.xsd"/></xs:schema>"#
                ),
            ),
            (
                "b.xsd",
                &format!(r#"<xs:schema {XS} targetNamespace="urn:c"/>"#),
            ),
        ],
    );
    assert_eq!(rules(&e), ["src-import.3.1"]);
    let e = one_doc_errors(r#"<xs:import namespace="urn:t"/>"#);
    assert_eq!(rules(&e), ["src-import.1.1"]);
}

#[test]
fn unresolvable_locations_name_the_location_and_the_reference() {
    let directives = "<xs:import namespace=\"urn:b\" schemaLocation=\"https://example.org/b.xsd\"/>\n  <xs:include schemaLocation=\"missing.xsd\"/>";
    // Not errors by themselves (XSD 1.0 4.2.1, 4.2.3): nothing refers to what is missing.
    ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!("<xs:schema {XS} targetNamespace=\"urn:a\">\n  {directives}\n</xs:schema>"),
        )],
    );
    // Reported with the errors they cause.
    let e = errors(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                "<xs:schema {XS} xmlns:b=\"urn:b\" targetNamespace=\"urn:a\">\n  {directives}\n  <xs:element name=\"e\" type=\"b:T\"/>\n</xs:schema>"
            ),
        )],
    );
    assert_eq!(
        rules(&e),
        ["schema_reference.4", "schema_reference.4", "src-resolve"],
        "{e:?}"
    );
    assert_eq!(e[0].rule, "schema_reference.4");
    assert!(
        e[0].message.contains("https://example.org/b.xsd"),
        "{}",
        e[0]
    );
    assert!(e[0].message.contains("network"), "{}", e[0]);
    assert_eq!(
        (e[0].document.as_path(), e[0].line, e[0].column),
        (Path::new("/a.xsd"), 2, 3)
    );
    assert!(e[1].message.contains("missing.xsd"), "{}", e[1]);
    assert_eq!(e[1].line, 3);
    let missing = match load(&[PathBuf::from("/nonexistent/x.xsd")], None) {
        Ok(_) => panic!("loaded a missing file"),
        Err(e) => e,
    };
    assert!(missing[0].message.contains("/nonexistent/x.xsd"));
}

#[test]
fn an_unresolvable_redefine_is_an_error_only_when_it_redefines_something() {
    let doc = |content: &str| {
        format!("<xs:schema {XS}>\n  <xs:redefine schemaLocation=\"missing.xsd\">{content}</xs:redefine>\n</xs:schema>")
    };
    ok(&["a.xsd"], &[("a.xsd", &doc("<xs:annotation/>"))]);
    let e = errors(
        &["a.xsd"],
        &[(
            "a.xsd",
            &doc("<xs:simpleType name=\"t\"><xs:restriction base=\"t\"/></xs:simpleType>"),
        )],
    );
    assert_eq!(e[0].rule, "schema_reference.4", "{e:?}");
    assert!(e[0].message.contains("missing.xsd"), "{}", e[0]);
}

#[test]
fn annotation_sources_are_any_uris() {
    let doc = |source: &str| {
        format!("<xs:schema {XS}><xs:annotation><xs:documentation source=\"{source}\"/></xs:annotation></xs:schema>")
    };
    ok(&["a.xsd"], &[("a.xsd", &doc("http://example.org/doc#x"))]);
    let e = errors(&["a.xsd"], &[("a.xsd", &doc("1111http://foo/bar"))]);
    assert_eq!(rules(&e), ["s4s-att-invalid-value"], "{e:?}");
}

#[test]
fn catalog_maps_http_locations() {
    let catalog = match Catalog::from_text(
        r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
             <uri name="https://example.org/b.xsd" uri="local/b.xsd"/>
             <rewriteURI uriStartString="https://example.org/lib/" rewritePrefix="lib/"/>
           </catalog>"#,
        Path::new("/catalog.xml"),
    ) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let docs = [
        (
            "a.xsd",
            format!(
                r#"<xs:schema {XS} xmlns:b="urn:b" targetNamespace="urn:a"><xs:import namespace="urn:b" schemaLocation="https://example.org/b.xsd"/><xs:element name="e" type="b:T"/></xs:schema>"#
            ),
        ),
        // Relative references inside a mapped document resolve against its URL first.
        (
            "local/b.xsd",
            format!(
                r#"<xs:schema {XS} targetNamespace="urn:b"><xs:include schemaLocation="lib/c.xsd"/></xs:schema>"#
            ),
        ),
        (
            "lib/c.xsd",
            format!(
                r#"<xs:schema {XS} targetNamespace="urn:b"><xs:complexType name="T"/></xs:schema>"#
            ),
        ),
    ];
    let docs: Vec<(&str, &str)> = docs.iter().map(|(n, t)| (*n, t.as_str())).collect();
    match load_from_memory(&["a.xsd"], &docs, Some(&catalog)) {
        Ok(m) => assert_eq!(m.documents.len(), 3),
        Err(e) => panic!("{e:?}"),
    }
    let e = match load_from_memory(&["a.xsd"], &docs, None) {
        Ok(_) => panic!("loaded without catalog"),
        Err(e) => e,
    };
    assert!(e
        .iter()
        .any(|x| x.message.contains("https://example.org/b.xsd")));
}

#[test]
fn redefine_refers_to_the_original() {
    let m = ok(
        &["a.xsd"],
        &[
            (
                "a.xsd",
                &format!(
                    r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:redefine schemaLocation="b.xsd">
    <xs:complexType name="T"><xs:complexContent><xs:extension base="t:T"><xs:sequence><xs:element name="more"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
    <xs:simpleType name="S"><xs:restriction base="t:S"><xs:maxLength value="3"/></xs:restriction></xs:simpleType>
    <xs:group name="G"><xs:sequence><xs:group ref="t:G"/><xs:element name="g2"/></xs:sequence></xs:group>
    <xs:attributeGroup name="AG"><xs:attributeGroup ref="t:AG"/><xs:attribute name="a2"/></xs:attributeGroup>
  </xs:redefine>
  <xs:element name="e" type="t:T"/>
</xs:schema>"#
                ),
            ),
            (
                "b.xsd",
                &format!(
                    r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:complexType name="T"><xs:group ref="t:G"/><xs:attributeGroup ref="t:AG"/></xs:complexType>
  <xs:simpleType name="S"><xs:restriction base="xs:string"/></xs:simpleType>
  <xs:group name="G"><xs:sequence><xs:element name="g1"/></xs:sequence></xs:group>
  <xs:attributeGroup name="AG"><xs:attribute name="a1"/></xs:attributeGroup>
</xs:schema>"#
                ),
            ),
        ],
    );
    let t = element(&m, Some("urn:t"), "e").type_def;
    let new_t = complex(&m, t);
    let TypeRef::Defined(orig) = new_t.base else {
        panic!("base")
    };
    assert_ne!(TypeRef::Defined(orig), t);
    let orig_t = complex(&m, new_t.base);
    // The original's group/attributeGroup references see the redefinitions (pervasive).
    let Some(Particle {
        term: Term::Group(g),
        ..
    }) = (match &orig_t.content {
        ComplexContent::Complex { particle } => particle.as_ref(),
        ComplexContent::Simple { .. } => None,
    })
    else {
        panic!("group ref")
    };
    assert_eq!(Some(*g), m.group(Some("urn:t"), "G"));
    let g = &m.groups[g.index()];
    let Term::Group(inner) = g.model_group.particles[0].term else {
        panic!()
    };
    assert_ne!(Some(inner), m.group(Some("urn:t"), "G"));
    assert_eq!(
        orig_t.attribute_uses.len(),
        2,
        "a1 via the original, a2 via the redefinition"
    );
    let s = m
        .type_named(Some("urn:t"), "S")
        .map(TypeRef::Defined)
        .unwrap_or(TypeRef::AnyType);
    let SimpleVariety::Restriction { base, .. } = simple(&m, s).variety else {
        panic!()
    };
    assert!(matches!(
        simple(&m, base).variety,
        SimpleVariety::Restriction {
            base: TypeRef::Builtin(Builtin::String),
            ..
        }
    ));
}

#[test]
fn unresolved_references_are_reported_with_position() {
    let e = errors(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!("<xs:schema {XS} xmlns:t=\"urn:t\" targetNamespace=\"urn:t\">\n<xs:element name=\"e\" type=\"t:Missing\"/>\n<xs:element name=\"f\" substitutionGroup=\"t:nope\"/>\n<xs:attributeGroup name=\"g\"><xs:attribute ref=\"u:x\"/></xs:attributeGroup></xs:schema>"),
        )],
    );
    assert_eq!(rules(&e), ["src-resolve", "src-resolve", "src-resolve"]);
    assert!(e[0].message.contains("{urn:t}Missing"));
    assert_eq!((e[0].line, e[0].column), (2, 1));
    assert!(e[2].message.contains("prefix 'u'"));
}

#[test]
fn duplicates_and_cycles() {
    let e = one_doc_errors(
        r#"<xs:element name="e"/><xs:element name="e"/><xs:simpleType name="e"><xs:restriction base="xs:int"/></xs:simpleType>
           <xs:complexType name="A"><xs:complexContent><xs:extension base="t:B"/></xs:complexContent></xs:complexType>
           <xs:complexType name="B"><xs:complexContent><xs:restriction base="t:A"/></xs:complexContent></xs:complexType>
           <xs:simpleType name="S"><xs:restriction base="t:S"/></xs:simpleType>
           <xs:group name="G"><xs:choice><xs:sequence><xs:group ref="t:H"/></xs:sequence></xs:choice></xs:group>
           <xs:group name="H"><xs:sequence><xs:group ref="t:G"/></xs:sequence></xs:group>
           <xs:attributeGroup name="AG"><xs:attributeGroup ref="t:AG"/></xs:attributeGroup>
           <xs:element name="h1" substitutionGroup="t:h2"/><xs:element name="h2" substitutionGroup="t:h1"/>"#,
    );
    let r = rules(&e);
    for rule in [
        "sch-props-correct.2",
        "ct-props-correct.3",
        "st-props-correct.2",
        "mg-props-correct.2",
        "src-attribute_group.3",
        "e-props-correct.6",
    ] {
        assert!(r.contains(&rule), "{rule} missing in {r:?}");
    }
    assert_eq!(
        r.iter().filter(|x| **x == "sch-props-correct.2").count(),
        1,
        "{r:?}"
    );
}

#[test]
fn schema_for_schemas_violations_are_all_collected() {
    let e = one_doc_errors(
        r#"<xs:elements name="typo"/>
           <xs:element name="a" ref="t:b"/>
           <xs:element name="b" type="xs:string"><xs:simpleType><xs:restriction base="xs:int"/></xs:simpleType></xs:element>
           <xs:element name="c" default="1" fixed="1" minOccurs="1"/>
           <xs:attribute name="d" type="xs:int" use="required"/>
           <xs:complexType name="T">
             <xs:sequence><xs:element name="x" ref="t:b"/><xs:element ref="t:b" type="xs:int"/><foo/></xs:sequence>
             <xs:attribute name="u" use="required" default="1"/>
             <xs:attribute ref="t:d" name="v"/>
             <xs:attribute name="w" type="xs:int"><xs:simpleType><xs:restriction base="xs:int"/></xs:simpleType></xs:attribute>
             <xs:attribute name="z" fixed="1" default="2"/>
           </xs:complexType>
           <xs:complexType name="T2" xs:foo="1"><xs:attribute name="a"/><xs:sequence/></xs:complexType>
           <xs:simpleType name="S">text<xs:list/></xs:simpleType>
           <xs:element name="m" nillable="maybe"><xs:complexType><xs:sequence maxOccurs="x"/></xs:complexType></xs:element>
           <xs:group name="G"><xs:sequence minOccurs="0"/></xs:group>
           <xs:complexType name="T3"><xs:all><xs:element name="q" maxOccurs="2"/></xs:all></xs:complexType>
           <xs:element name="n"><xs:key name="k"><xs:field xpath="@a"/></xs:key></xs:element>"#,
    );
    let r = rules(&e);
    for rule in [
        "s4s-elt-invalid-content.1",
        "s4s-att-not-allowed",
        "src-element.2.1",
        "src-element.2.2",
        "src-element.3",
        "src-element.1",
        "src-attribute.2",
        "src-attribute.3.1",
        "src-attribute.4",
        "src-attribute.1",
        "s4s-elt-character",
        "src-simple-type.3",
        "s4s-att-invalid-value",
        "cos-all-limited.2",
        "s4s-elt-must-match.1",
    ] {
        assert!(r.contains(&rule), "{rule} missing in {r:?}");
    }
    assert!(e.len() >= 18, "{e:#?}");
    assert!(e
        .iter()
        .all(|x| x.line >= 1 && x.document == Path::new("/a.xsd")));
}

#[test]
fn identity_constraints_and_substitution_groups() {
    let m = ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r##"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:element name="head" type="xs:int" abstract="true"/>
  <xs:element name="member" substitutionGroup="t:head"/>
  <xs:element name="sub" substitutionGroup="t:member" final="#all"/>
  <xs:element name="doc">
    <xs:complexType><xs:sequence><xs:element name="k" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
    <xs:key name="K"><xs:selector xpath="t:k"/><xs:field xpath="@id"/></xs:key>
    <xs:keyref name="R" refer="t:K"><xs:selector xpath=".//t:k"/><xs:field xpath="@ref"/><xs:field xpath="."/></xs:keyref>
  </xs:element>
</xs:schema>"##
            ),
        )],
    );
    let head = m.element(Some("urn:t"), "head");
    assert!(element(&m, Some("urn:t"), "head").is_abstract);
    assert_eq!(
        element(&m, Some("urn:t"), "member").substitution_group,
        head
    );
    assert_eq!(
        element(&m, Some("urn:t"), "member").type_def,
        TypeRef::Builtin(Builtin::Int)
    );
    assert_eq!(
        element(&m, Some("urn:t"), "sub").type_def,
        TypeRef::Builtin(Builtin::Int)
    );
    assert_eq!(
        element(&m, Some("urn:t"), "sub").final_set,
        DerivationSet::EXTENSION.union(DerivationSet::RESTRICTION)
    );
    let doc = element(&m, Some("urn:t"), "doc");
    assert_eq!(doc.identity_constraints.len(), 2);
    let key = &m.identity_constraints[doc.identity_constraints[0].index()];
    let keyref = &m.identity_constraints[doc.identity_constraints[1].index()];
    assert_eq!(key.kind, IdentityConstraintKind::Key);
    assert_eq!(
        keyref.kind,
        IdentityConstraintKind::KeyRef {
            refer: doc.identity_constraints[0]
        }
    );
    assert_eq!(keyref.fields.len(), 2);
    assert_eq!(keyref.selector.text, ".//t:k");
    let scope = m
        .namespace_scope(keyref.selector.namespaces)
        .and_then(|s| s.lookup(Some("t")));
    assert_eq!(scope, m.namespaces.get(Some("urn:t")));
    let e = one_doc_errors(
        r#"<xs:element name="d"><xs:keyref name="R" refer="t:none"><xs:selector xpath="."/><xs:field xpath="."/></xs:keyref></xs:element>"#,
    );
    assert_eq!(rules(&e), ["src-resolve"]);
}

#[test]
fn attribute_groups_are_expanded_into_types() {
    let m = ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t" attributeFormDefault="qualified">
  <xs:attributeGroup name="A"><xs:attribute name="a"/><xs:attributeGroup ref="t:B"/><xs:anyAttribute processContents="skip"/></xs:attributeGroup>
  <xs:attributeGroup name="B"><xs:attribute name="b" form="unqualified"/><xs:attribute ref="t:g" use="prohibited"/></xs:attributeGroup>
  <xs:attribute name="g" type="xs:int" fixed="3"/>
  <xs:complexType name="T">
    <xs:simpleContent><xs:extension base="xs:string"><xs:attribute name="own"/><xs:attributeGroup ref="t:A"/><xs:attributeGroup ref="t:B"/></xs:extension></xs:simpleContent>
  </xs:complexType>
</xs:schema>"#
            ),
        )],
    );
    let t = complex(
        &m,
        m.type_named(Some("urn:t"), "T")
            .map(TypeRef::Defined)
            .unwrap_or(TypeRef::AnyType),
    );
    let names: Vec<(String, AttributeUseKind)> = t
        .attribute_uses
        .iter()
        .map(|u| {
            (
                m.display_name(&m.attributes[u.declaration.index()].name),
                u.use_kind,
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("{urn:t}own".to_owned(), AttributeUseKind::Optional),
            ("{urn:t}a".to_owned(), AttributeUseKind::Optional),
            ("b".to_owned(), AttributeUseKind::Optional),
            ("{urn:t}g".to_owned(), AttributeUseKind::Prohibited),
        ]
    );
    assert_eq!(t.attribute_wildcards.len(), 1);
    assert_eq!(t.attribute_groups.len(), 2);
    assert_eq!(t.base, TypeRef::Builtin(Builtin::String));
    assert_eq!(t.derivation, Derivation::Extension);
    let e = match load_from_memory(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:attributeGroup name="A"><xs:attribute name="a"/></xs:attributeGroup>
  <xs:complexType name="T"><xs:simpleContent><xs:extension base="xs:string"><xs:attribute name="own"/><xs:attributeGroup ref="t:A"/></xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="Dup"><xs:attribute name="a"/><xs:attributeGroup ref="t:A"/></xs:complexType>
</xs:schema>"#
            ),
        )],
        None,
    ) {
        Ok(_) => panic!("duplicate attribute accepted"),
        Err(e) => e,
    };
    assert_eq!(rules(&e), ["ct-props-correct.4"]);
}

/// Foreign attributes (allowed on every schema element) never stand in for the schema's own
/// unqualified attributes of the same local name, wherever they come in the start tag.
#[test]
fn foreign_attributes_do_not_shadow_schema_attributes() {
    let m = ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r###"<xs:schema {XS} xmlns:f="urn:foreign" xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:element f:name="wrong" name="right" f:type="xs:int" type="t:R" f:nillable="true"/>
  <xs:complexType f:mixed="true" name="R"/>
</xs:schema>"###
            ),
        )],
    );
    let right = element(&m, Some("urn:t"), "right");
    assert!(!right.nillable);
    assert!(!complex(&m, right.type_def).mixed);
    assert!(m.element(Some("urn:t"), "wrong").is_none());
}

#[test]
fn references_only_reach_the_target_imported_and_xsd_namespaces() {
    // src-resolve.4: the no-namespace `b` exists in the set, but a.xsd does not import it.
    let b = format!(r#"<xs:schema {XS}><xs:element name="b"/></xs:schema>"#);
    let a = |imports: &str| {
        format!(
            r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">{imports}
  <xs:include schemaLocation="c.xsd"/>
  <xs:complexType name="T"><xs:sequence><xs:element ref="b"/></xs:sequence></xs:complexType>
  <xs:element name="root" type="t:T"/><xs:attribute name="n" type="xs:int"/>
</xs:schema>"#
        )
    };
    let c = format!(r#"<xs:schema {XS} targetNamespace="urn:t"/>"#);
    let e = errors(
        &["a.xsd", "b.xsd"],
        &[("a.xsd", &a("")), ("b.xsd", &b), ("c.xsd", &c)],
    );
    assert_eq!(rules(&e), ["src-resolve.4.1"], "{e:?}");
    assert!(e[0].to_string().contains("'b'"), "{}", e[0]);
    ok(
        &["a.xsd", "b.xsd"],
        &[
            ("a.xsd", &a(r#"<xs:import/>"#)),
            ("b.xsd", &b),
            ("c.xsd", &c),
        ],
    );

    // A namespace imported by another document of the set does not count for this one.
    let u =
        format!(r#"<xs:schema {XS} targetNamespace="urn:u"><xs:element name="e"/></xs:schema>"#);
    let importer = format!(
        r#"<xs:schema {XS} targetNamespace="urn:t"><xs:import namespace="urn:u" schemaLocation="u.xsd"/><xs:include schemaLocation="d.xsd"/></xs:schema>"#
    );
    let d = format!(
        r#"<xs:schema {XS} xmlns:u="urn:u" targetNamespace="urn:t"><xs:group name="g"><xs:sequence><xs:element ref="u:e"/></xs:sequence></xs:group></xs:schema>"#
    );
    let e = errors(
        &["a.xsd"],
        &[("a.xsd", &importer), ("u.xsd", &u), ("d.xsd", &d)],
    );
    assert_eq!(rules(&e), ["src-resolve.4.2"], "{e:?}");
}

#[test]
fn any_simple_type_cannot_be_restricted_but_can_be_used_and_extended() {
    let e = one_doc_errors(
        r#"<xs:simpleType name="s"><xs:restriction base="xs:anySimpleType"/></xs:simpleType>"#,
    );
    assert_eq!(rules(&e), ["cos-st-restricts.1.1"], "{e:?}");
    ok(
        &["a.xsd"],
        &[(
            "a.xsd",
            &format!(
                r#"<xs:schema {XS}>
  <xs:element name="e" type="xs:anySimpleType"/>
  <xs:attribute name="a" type="xs:anySimpleType"/>
  <xs:complexType name="c"><xs:simpleContent><xs:extension base="xs:anySimpleType"/></xs:simpleContent></xs:complexType>
</xs:schema>"#
            ),
        )],
    );
}

#[test]
fn a_redefinition_replaces_only_what_the_redefined_schema_defines() {
    let c = format!(
        r#"<xs:schema {XS}><xs:attributeGroup name="g"><xs:attribute name="c"/></xs:attributeGroup></xs:schema>"#
    );
    let redefining = |name: &str, redefinitions: &str, rest: &str| {
        (
            name.to_owned(),
            format!(
                r#"<xs:schema {XS}>{rest}<xs:redefine schemaLocation="c.xsd">{redefinitions}</xs:redefine></xs:schema>"#
            ),
        )
    };
    let g = r#"<xs:attributeGroup name="g"><xs:attributeGroup ref="g"/><xs:attribute name="x"/></xs:attributeGroup>"#;
    let load = |docs: &[(String, String)]| {
        let mut all: Vec<(&str, &str)> =
            docs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        all.push(("c.xsd", &c));
        load_from_memory(&["a.xsd"], &all, None)
    };

    // A chain: a redefines b, which redefines c.
    let chain = [
        (
            "a.xsd".to_owned(),
            format!(
                r#"<xs:schema {XS}><xs:redefine schemaLocation="b.xsd">{}</xs:redefine></xs:schema>"#,
                g.replace("\"x\"", "\"y\"")
            ),
        ),
        redefining("b.xsd", g, ""),
    ];
    assert!(load(&chain).is_ok(), "{:?}", load(&chain).err());

    // The same name twice in one redefine.
    let twice = [redefining("a.xsd", &format!("{g}{g}"), "")];
    let e = load(&twice).unwrap_err();
    assert_eq!(e[0].rule, "sch-props-correct.2", "{e:?}");
    assert!(e[0].message.contains("redefined twice"), "{}", e[0]);

    // Redefined and also defined by the redefining document itself.
    let own = [redefining(
        "a.xsd",
        g,
        r#"<xs:attributeGroup name="g"><xs:attribute name="own"/></xs:attributeGroup>"#,
    )];
    let e = load(&own).unwrap_err();
    assert!(rules(&e).contains(&"sch-props-correct.2"), "{e:?}");
    assert!(
        e.iter().any(|e| e
            .message
            .contains("defined by this schema document itself as well")),
        "{e:?}"
    );

    // A circular redefine that hands a document's own definition back to it (W3C
    // s4_2_4si01b); one between different components is fine.
    let back = |own: &str, redefined: &str| {
        format!(
            r#"<xs:schema {XS}><xs:redefine schemaLocation="{redefined}">{g}</xs:redefine>{own}</xs:schema>"#
        )
    };
    let own_g = r#"<xs:attributeGroup name="g"><xs:attribute name="c"/></xs:attributeGroup>"#;
    let circular = [
        ("a.xsd".to_owned(), back(own_g, "b.xsd")),
        ("b.xsd".to_owned(), back("", "a.xsd")),
    ];
    let e = load(&circular).unwrap_err();
    assert!(rules(&e).contains(&"sch-props-correct.2"), "{e:?}");

    // Two documents redefine c independently: two different components named g.
    let both = [
        (
            "a.xsd".to_owned(),
            format!(
                r#"<xs:schema {XS}><xs:include schemaLocation="b.xsd"/><xs:include schemaLocation="d.xsd"/></xs:schema>"#
            ),
        ),
        redefining("b.xsd", g, ""),
        // (Different text: the loader reads identical documents once.)
        redefining("d.xsd", g, "<xs:annotation/>"),
    ];
    let e = load(&both).unwrap_err();
    assert_eq!(e[0].rule, "sch-props-correct.2", "{e:?}");
    assert!(e[0].message.contains("another schema document"), "{}", e[0]);
}

#[test]
fn a_redefined_attribute_group_without_self_reference_must_restrict_the_original() {
    let original = format!(
        r#"<xs:schema {XS}><xs:attributeGroup name="g">
  <xs:attribute name="req" use="required"/><xs:attribute name="opt"/>
  <xs:attribute name="fix" fixed="1"/><xs:attribute name="gone" use="prohibited"/>
</xs:attributeGroup></xs:schema>"#
    );
    let load = |body: &str| {
        let a = format!(
            r#"<xs:schema {XS}><xs:redefine schemaLocation="o.xsd"><xs:attributeGroup name="g">{body}</xs:attributeGroup></xs:redefine></xs:schema>"#
        );
        load_from_memory(&["a.xsd"], &[("a.xsd", &a), ("o.xsd", &original)], None)
    };
    let fine = r#"<xs:attribute name="req" use="required"/><xs:attribute name="fix" fixed="1"/>"#;
    assert!(load(fine).is_ok(), "{:?}", load(fine).err());
    // With a self-reference the group is an extension, not a restriction.
    let extended = r#"<xs:attributeGroup ref="g"/><xs:attribute name="new"/>"#;
    assert!(load(extended).is_ok(), "{:?}", load(extended).err());

    for (body, clause) in [
        (
            r#"<xs:attribute name="opt"/>"#,
            "derivation-ok-restriction.3",
        ),
        (
            r#"<xs:attribute name="req"/><xs:attribute name="fix" fixed="1"/>"#,
            "derivation-ok-restriction.2.1.1",
        ),
        (
            r#"<xs:attribute name="req" use="required"/><xs:attribute name="fix" fixed="2"/>"#,
            "derivation-ok-restriction.2.1.3",
        ),
        (
            r#"<xs:attribute name="req" use="required"/><xs:attribute name="gone"/>"#,
            "derivation-ok-restriction.2.2",
        ),
        (
            r#"<xs:attribute name="req" use="required"/><xs:anyAttribute/>"#,
            "derivation-ok-restriction.4",
        ),
    ] {
        let e = load(body).expect_err(body);
        assert_eq!(rules(&e), ["src-redefine.7.2.2"], "{body}: {e:?}");
        assert!(e[0].message.contains(clause), "{body}: {}", e[0]);
    }
}
