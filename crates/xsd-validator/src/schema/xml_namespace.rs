//! Built-in knowledge of the XML namespace (`http://www.w3.org/XML/1998/namespace`): the
//! attribute declarations `xml:lang`, `xml:space`, `xml:base` and `xml:id` and the attribute
//! group `xml:specialAttrs`, with the types the W3C schema document for the namespace gives
//! them (<http://www.w3.org/2001/xml.xsd>, 2009-01 version).
//!
//! Schemas import that namespace with `schemaLocation="http://www.w3.org/2001/xml.xsd"` or with
//! no location at all. Since loading never touches the network, such an import would leave
//! `ref="xml:lang"` unresolved. The loader therefore uses this document when an import of the
//! XML namespace cannot be resolved locally: a catalog mapping or a local file always wins;
//! the built-in copy only fills the gap, and only when no loaded document provides the
//! namespace.

use std::path::PathBuf;

use super::loader::LoadedDocument;

/// The XML namespace.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The identity (document path) under which the built-in document appears in errors and in
/// the model. Not a file: nothing reads it from disk.
pub(crate) const BUILT_IN_PATH: &str = "(built-in)/www.w3.org/2001/xml.xsd";

/// The declarations of the W3C schema document for the XML namespace, without its
/// documentation (which does not affect validation).
pub(crate) const SCHEMA_TEXT: &str = r#"<?xml version="1.0"?>
<!-- The components of http://www.w3.org/2001/xml.xsd (W3C, 2009-01 version; W3C Software
     and Document License), built into xsd-validator because schema loading never uses the
     network. -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="http://www.w3.org/XML/1998/namespace" xml:lang="en">
  <xs:attribute name="lang">
    <xs:simpleType>
      <!-- The empty string un-declares the language (XML 1.0, 2.12). -->
      <xs:union memberTypes="xs:language">
        <xs:simpleType>
          <xs:restriction base="xs:string">
            <xs:enumeration value=""/>
          </xs:restriction>
        </xs:simpleType>
      </xs:union>
    </xs:simpleType>
  </xs:attribute>
  <xs:attribute name="space">
    <xs:simpleType>
      <xs:restriction base="xs:NCName">
        <xs:enumeration value="default"/>
        <xs:enumeration value="preserve"/>
      </xs:restriction>
    </xs:simpleType>
  </xs:attribute>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
  <xs:attributeGroup name="specialAttrs">
    <xs:attribute ref="xml:base"/>
    <xs:attribute ref="xml:lang"/>
    <xs:attribute ref="xml:space"/>
    <xs:attribute ref="xml:id"/>
  </xs:attributeGroup>
</xs:schema>
"#;

/// The built-in document, ready to be built like any loaded one.
pub(crate) fn document() -> LoadedDocument {
    LoadedDocument {
        path: PathBuf::from(BUILT_IN_PATH),
        text: SCHEMA_TEXT.to_owned(),
        target_namespace: Some(XML_NS.to_owned()),
        chameleon: false,
        redefines: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::{load_from_memory, SchemaError};
    use crate::{SchemaSet, ValidationOptions};

    const IMPORTER: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" LOCATION/>
  <xs:element name="root">
    <xs:complexType>
      <xs:attribute ref="xml:lang"/>
      <xs:attribute ref="xml:space"/>
      <xs:attribute ref="xml:base"/>
      <xs:attribute ref="xml:id"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="group">
    <xs:complexType>
      <xs:attributeGroup ref="xml:specialAttrs"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"#;

    fn compile(location: &str, extra: &[(&str, &str)]) -> Result<SchemaSet, Vec<SchemaError>> {
        let main = IMPORTER.replace("LOCATION", location);
        let mut docs = vec![("main.xsd", main.as_str())];
        docs.extend_from_slice(extra);
        SchemaSet::from_model(load_from_memory(&["main.xsd"], &docs, None)?)
    }

    fn valid(set: &SchemaSet, xml: &str) -> bool {
        set.validate(xml.as_bytes(), &ValidationOptions::default())
            .is_valid()
    }

    #[test]
    fn import_without_location_gets_the_built_in_declarations() {
        let set = compile("", &[]).unwrap();
        assert!(valid(
            &set,
            r#"<root xml:lang="de-DE" xml:space="preserve" xml:base="a/b" xml:id="r1"/>"#
        ));
        // xml:lang un-declared with the empty string (the union's second member).
        assert!(valid(&set, r#"<root xml:lang=""/>"#));
        assert!(!valid(&set, r#"<root xml:lang="not a language"/>"#));
        assert!(!valid(&set, r#"<root xml:space="keep"/>"#));
        assert!(!valid(&set, r#"<root xml:id="1-not-an-NCName"/>"#));
        assert!(!valid(&set, r#"<root xml:other="x"/>"#));
        assert!(valid(&set, r#"<group xml:lang="en" xml:id="g"/>"#));
    }

    #[test]
    fn unresolvable_network_location_falls_back_to_the_built_in_document() {
        let set = compile(r#"schemaLocation="http://www.w3.org/2001/xml.xsd""#, &[]).unwrap();
        assert!(valid(&set, r#"<root xml:space="default"/>"#));
        assert!(!valid(&set, r#"<root xml:space="keep"/>"#));
        // A missing local file is unresolvable too.
        let set = compile(r#"schemaLocation="absent/xml.xsd""#, &[]).unwrap();
        assert!(valid(&set, r#"<root xml:space="default"/>"#));
    }

    #[test]
    fn a_local_document_for_the_namespace_wins() {
        // A local xml.xsd that types xml:space differently shows which one was used.
        let local = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
            targetNamespace="http://www.w3.org/XML/1998/namespace">
          <xs:attribute name="lang" type="xs:string"/>
          <xs:attribute name="space" type="xs:integer"/>
          <xs:attribute name="base" type="xs:string"/>
          <xs:attribute name="id" type="xs:string"/>
          <xs:attributeGroup name="specialAttrs"/>
        </xs:schema>"#;
        let set = compile(r#"schemaLocation="xml.xsd""#, &[("xml.xsd", local)]).unwrap();
        assert!(valid(&set, r#"<root xml:space="12"/>"#));
        assert!(!valid(&set, r#"<root xml:space="preserve"/>"#));
    }

    #[test]
    fn without_an_import_xml_attributes_stay_unresolved() {
        let text = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:element name="root">
            <xs:complexType><xs:attribute ref="xml:lang"/></xs:complexType>
          </xs:element>
        </xs:schema>"#;
        let errors = load_from_memory(&["a.xsd"], &[("a.xsd", text)], None).unwrap_err();
        // Not imported, so not referable at all (src-resolve.4.2).
        assert!(
            errors.iter().any(|e| e.rule == "src-resolve.4.2"),
            "{errors:?}"
        );
    }

    #[test]
    fn other_unresolvable_imports_get_no_fallback() {
        let text = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:o="urn:other">
          <xs:import namespace="urn:other" schemaLocation="http://example.org/other.xsd"/>
          <xs:element name="e" type="o:T"/>
        </xs:schema>"#;
        let errors = load_from_memory(&["a.xsd"], &[("a.xsd", text)], None).unwrap_err();
        let rules: Vec<_> = errors.iter().map(|e| e.rule).collect();
        assert_eq!(rules, ["schema_reference.4", "src-resolve"], "{errors:?}");
    }
}
