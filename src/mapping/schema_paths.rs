//! [`SchemaPaths`] over a compiled XSD schema set: what `check` compiles mappings against.
//!
//! A [`SchemaNode`] is the position of an element declaration in the set
//! ([`ElementDeclaration::index`]); local declarations are nodes of their own, so the same
//! name can have different children in different places, as in the schema.
//!
//! An instance may put a derived type in place of the declared one with `xsi:type`, so an
//! element's children and attributes are those of its declared type and of every type derived
//! from it. `block` is not taken into account: a path it rules out is not reported (a check
//! must never refuse a mapping that can match). The text's kind is the declared type's:
//! derivation keeps or narrows the value space.

use std::collections::HashMap;

use xsd_validator::datatypes::{Builtin, SimpleType, Variety};
use xsd_validator::{ElementDeclaration, SchemaSet, TypeDefinition};

use super::path::ExpandedName;
use super::schema_check::{Children, ContentKind, SchemaNode, SchemaPaths};

/// A schema set seen as the element tree a mapping's paths walk.
#[derive(Debug, Clone)]
pub struct SchemaSetPaths<'s> {
    set: &'s SchemaSet,
    /// Type index -> the types derived from it (directly or not); only types that have any.
    derived: HashMap<usize, Vec<TypeDefinition<'s>>>,
}

impl<'s> SchemaSetPaths<'s> {
    pub fn new(set: &'s SchemaSet) -> SchemaSetPaths<'s> {
        let mut derived: HashMap<usize, Vec<TypeDefinition<'s>>> = HashMap::new();
        let bound = set.type_definitions().count();
        for definition in set.type_definitions() {
            let mut base = definition.base();
            // The base chain is acyclic in a compiled set; the bound only guards against it.
            for _ in 0..bound {
                let Some(ancestor) = base else { break };
                // Everything derives from anyType, whose content is a wildcard anyway.
                if ancestor.base().is_none() {
                    break;
                }
                derived
                    .entry(ancestor.index())
                    .or_default()
                    .push(definition);
                base = ancestor.base();
            }
        }
        SchemaSetPaths { set, derived }
    }

    fn declaration(&self, node: SchemaNode) -> Option<ElementDeclaration<'s>> {
        self.set.element_at(node.0 as usize)
    }

    /// The declared type of `node` and every type `xsi:type` may replace it with.
    fn types(&self, declaration: &ElementDeclaration<'s>) -> Vec<TypeDefinition<'s>> {
        let declared = declaration.type_definition();
        let mut types = vec![declared];
        if let Some(derived) = self.derived.get(&declared.index()) {
            types.extend(derived.iter().copied());
        }
        types
    }
}

fn node(declaration: &ElementDeclaration<'_>) -> Option<SchemaNode> {
    u32::try_from(declaration.index()).ok().map(SchemaNode)
}

fn expanded(declaration: &ElementDeclaration<'_>) -> ExpandedName {
    ExpandedName {
        namespace: declaration.namespace().map(str::to_owned),
        local: declaration.name().to_owned(),
    }
}

impl SchemaPaths for SchemaSetPaths<'_> {
    fn root(&self, name: &ExpandedName) -> Option<SchemaNode> {
        let declaration = self.set.element(name.namespace.as_deref(), &name.local)?;
        if declaration.is_abstract() {
            return None;
        }
        node(&declaration)
    }

    fn children(&self, node_id: SchemaNode) -> Children {
        let Some(declaration) = self.declaration(node_id) else {
            // Not a node of this set: nothing can be concluded.
            return Children {
                named: Vec::new(),
                wildcard: true,
            };
        };
        let mut named: Vec<(ExpandedName, SchemaNode)> = Vec::new();
        let mut wildcard = false;
        for definition in self.types(&declaration) {
            wildcard |= definition.has_element_wildcard();
            for child in definition.child_elements() {
                let Some(child_node) = node(&child) else {
                    continue;
                };
                // An extension repeats its base's particles: list each declaration once.
                if !named.iter().any(|(_, n)| *n == child_node) {
                    named.push((expanded(&child), child_node));
                }
            }
        }
        Children { named, wildcard }
    }

    fn has_attribute(&self, node_id: SchemaNode, name: &ExpandedName) -> bool {
        self.declaration(node_id).is_none_or(|declaration| {
            self.types(&declaration)
                .iter()
                .any(|t| t.allows_attribute(name.namespace.as_deref(), &name.local))
        })
    }

    fn content(&self, node_id: SchemaNode) -> ContentKind {
        let Some(declaration) = self.declaration(node_id) else {
            return ContentKind::Other;
        };
        let definition = declaration.type_definition();
        match definition.simple_type() {
            Some(simple) => simple_kind(simple),
            None if definition.is_mixed() => ContentKind::Other,
            // Element-only or empty content: no text of its own.
            None => ContentKind::ElementOnly,
        }
    }
}

/// The kind of an atomic type by its nearest built-in ancestor; a union whose members all
/// have one kind has that kind; lists and the rest are not classified.
fn simple_kind(simple: &SimpleType) -> ContentKind {
    match simple.variety() {
        Variety::Atomic => builtin_kind(simple.builtin_ancestor()),
        Variety::List => ContentKind::Other,
        Variety::Union => {
            let mut kinds = simple.member_types().iter().map(|m| simple_kind(m));
            match kinds.next() {
                Some(first) if kinds.all(|k| k == first) => first,
                _ => ContentKind::Other,
            }
        }
    }
}

fn builtin_kind(builtin: Builtin) -> ContentKind {
    use ContentKind as K;
    if builtin.is_derived_from(Builtin::Integer) {
        return K::Integer;
    }
    match builtin {
        Builtin::Decimal => K::Decimal,
        Builtin::Boolean => K::Boolean,
        Builtin::Date => K::Date,
        Builtin::DateTime => K::DateTime,
        Builtin::Time => K::Time,
        Builtin::AnyUri
        | Builtin::QName
        | Builtin::Notation
        | Builtin::HexBinary
        | Builtin::Base64Binary => K::String,
        b if b.is_derived_from(Builtin::String) => K::String,
        // float, double, duration, the g* types, anySimpleType: not classified.
        _ => K::Other,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::mapping::golden::shared_corpus;
    use crate::mapping::Plan;

    fn repo(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }

    fn schema(entry: &Path, catalog: Option<&Path>) -> SchemaSet {
        SchemaSet::compile(&[entry.to_path_buf()], catalog).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn problems(plan: &Plan, set: &SchemaSet) -> Vec<String> {
        plan.check_against(&SchemaSetPaths::new(set))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn shipped(mapping: &str, set: &SchemaSet) -> Vec<String> {
        let plan = Plan::load(&repo(mapping)).unwrap_or_else(|e| panic!("{e}"));
        problems(&plan, set)
    }

    /// The shipped mapping with `extra` (top-level fields) appended: shows that the check
    /// really walks this schema (a check that found nothing anywhere would pass `shipped`).
    fn shipped_with(mapping: &str, extra: &str, set: &SchemaSet) -> Vec<String> {
        let file = repo(mapping);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        // The extra fields are about the source schema; the receiver's schema (XML output)
        // would refuse them first.
        let text: String = text
            .lines()
            .filter(|line| !line.starts_with("schema = "))
            .map(|line| format!("{line}\n"))
            .collect();
        let plan =
            Plan::compile(&format!("{text}\n{extra}"), &file).unwrap_or_else(|e| panic!("{e}"));
        problems(&plan, set)
    }

    fn example_schema() -> SchemaSet {
        schema(&repo("schemas/example/xoev-gateway-example.xsd"), None)
    }

    const EXAMPLE_HEADER: &str = r#"
[source]
root = { namespace = "urn:xoev-gateway:example:1", name = "bauantrag.antrag.0200" }
[output]
format = "json"
"#;

    #[test]
    fn the_example_mapping_fits_the_example_schema() {
        let set = example_schema();
        assert_eq!(
            shipped("mappings/bauantrag-bausoftware.toml", &set),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_xdomea_mapping_fits_xdomea_3() {
        let Some(shared) = shared_corpus() else {
            return;
        };
        let set = schema(
            &shared.join(
                "xoev/xdomea-3.0.0/message_generation/schemes/xdomea_3.0.0/xdomea-Nachrichten-AussonderungDurchfuehren.xsd",
            ),
            None,
        );
        let mapping = "mappings/xdomea-anbieteverzeichnis-dms.toml";
        assert_eq!(shipped(mapping, &set), Vec::<String>::new());
        assert_eq!(
            shipped_with(
                mapping,
                "[[field]]\nname = \"x\"\nexpr = \"format-number(xdomea:Kopf/xdomea:Erstellungszeitpunkt, 2)\"\n\
                 [[field]]\nname = \"y\"\npath = \"xdomea:Kopf/xdomea:ProzessID/@id\"\n",
                &set
            ),
            [
                "field `x`: format-number cannot take \"xdomea:Kopf/xdomea:Erstellungszeitpunkt\", whose schema type is DateTime",
                "field `y`: path \"xdomea:Kopf/xdomea:ProzessID/@id\" can never match the schema: no attribute id there",
            ]
        );
    }

    #[test]
    fn the_xwasser_mapping_fits_xwasser_1() {
        let Some(shared) = shared_corpus() else {
            return;
        };
        let xwasser = shared.join("xoev/xwasser-1.0.0");
        let set = schema(
            &xwasser.join("schemas/V1_0_0/xwasser.xsd"),
            Some(&xwasser.join("catalog.xml")),
        );
        let mapping = "mappings/xwasser-pruefbericht-labor.toml";
        assert_eq!(shipped(mapping, &set), Vec::<String>::new());
        assert_eq!(
            shipped_with(
                mapping,
                "[[field]]\nname = \"lab:X\"\npath = \"xwas:vorgang/xwas:vorgangType/xwas:pruefberichtt\"\n",
                &set
            ),
            ["field `lab:X`: path \"xwas:vorgang/xwas:vorgangType/xwas:pruefberichtt\" can never match the schema: step 3 finds no element"]
        );
    }

    #[test]
    fn impossible_paths_and_misused_types_are_found_in_a_real_schema() {
        let set = example_schema();
        let text = format!(
            r#"{EXAMPLE_HEADER}
[[field]]
name = "missing"
path = "antragsteller/nichtda"
[[field]]
name = "undeclared"
path = "vorhaben/art/@gibtsnicht"
[[field]]
name = "declared"
path = "vorhaben/art/@listVersionID"
[[field]]
name = "costDate"
expr = "format-date(vorhaben/baukosten, '%d.%m.%Y')"
[[field]]
name = "floorsAsDate"
path = "vorhaben/geschosse"
type = "date"
[[field]]
name = "nameAsNumber"
expr = "format-number(antragsteller/familienname, 2)"
[[field]]
name = "costs"
path = ".//baukosten"
type = "number"
[[field]]
name = "floors"
path = "vorhaben/geschosse"
type = "integer"
[[field]]
name = "wrongNamespace"
path = "ex:antragsteller"
[[field]]
name = "attachments"
for_each = "anlage"
  [[field.field]]
  name = "file"
  path = "dateiname"
  [[field.field]]
  name = "bytes"
  path = "groesse"
"#
        );
        let text = text.replace(
            "[output]",
            "[namespaces]\nex = \"urn:xoev-gateway:example:1\"\n[output]",
        );
        let plan = Plan::compile(&text, Path::new("inline.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            problems(&plan, &set),
            [
                "field `missing`: path \"antragsteller/nichtda\" can never match the schema: step 2 finds no element",
                "field `undeclared`: path \"vorhaben/art/@gibtsnicht\" can never match the schema: no attribute gibtsnicht there",
                "field `costDate`: format-date cannot take \"vorhaben/baukosten\", whose schema type is Decimal",
                "field `floorsAsDate`: type = date cannot take \"vorhaben/geschosse\", whose schema type is Integer",
                "field `nameAsNumber`: format-number cannot take \"antragsteller/familienname\", whose schema type is String",
                "field `wrongNamespace`: path \"ex:antragsteller\" can never match the schema: step 1 finds no element",
                "field `attachments[].bytes`: path \"groesse\" can never match the schema: step 1 finds no element",
            ]
        );
    }

    #[test]
    fn a_root_the_schema_does_not_declare_is_reported() {
        let set = example_schema();
        let plan = Plan::compile(
            "[source]\nroot = { name = \"bauantrag.antrag.0200\" }\n[output]\nformat = \"json\"\n[[field]]\nname = \"a\"\nvalue = \"1\"\n",
            Path::new("inline.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            problems(&plan, &set),
            ["[source]: the schema declares no root element bauantrag.antrag.0200"]
        );
    }

    #[test]
    fn types_an_xsi_type_may_substitute_count() {
        let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element name="p" type="t:Base"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:complexType name="Base" abstract="true"><xs:sequence>
    <xs:element name="a" type="xs:date"/>
  </xs:sequence></xs:complexType>
  <xs:complexType name="Ext"><xs:complexContent><xs:extension base="t:Base">
    <xs:sequence><xs:element name="b" type="xs:decimal"/></xs:sequence>
    <xs:attribute name="x" type="xs:string"/>
  </xs:extension></xs:complexContent></xs:complexType>
  <xs:complexType name="Ext2"><xs:complexContent><xs:extension base="t:Ext">
    <xs:sequence><xs:element name="c" type="xs:string"/></xs:sequence>
  </xs:extension></xs:complexContent></xs:complexType>
</xs:schema>"#;
        let model = xsd_validator::schema::load_from_memory(&["t.xsd"], &[("t.xsd", xsd)], None)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let set = SchemaSet::from_model(model).unwrap_or_else(|e| panic!("{e:?}"));
        let plan = Plan::compile(
            r#"
[source]
root = { namespace = "urn:t", name = "r" }
[output]
format = "json"
[[field]]
name = "a"
expr = "format-date(p/a, '%d')"
[[field]]
name = "b"
path = "p/b"
type = "number"
[[field]]
name = "c"
path = "p/c"
[[field]]
name = "x"
path = "p/@x"
[[field]]
name = "d"
path = "p/d"
[[field]]
name = "y"
path = "p/@y"
"#,
            Path::new("inline.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            problems(&plan, &set),
            [
                "field `d`: path \"p/d\" can never match the schema: step 2 finds no element",
                "field `y`: path \"p/@y\" can never match the schema: no attribute y there",
            ]
        );
    }

    #[test]
    fn builtins_are_classified_by_their_ancestor() {
        use ContentKind as K;
        assert_eq!(builtin_kind(Builtin::UnsignedByte), K::Integer);
        assert_eq!(builtin_kind(Builtin::Decimal), K::Decimal);
        assert_eq!(builtin_kind(Builtin::Token), K::String);
        assert_eq!(builtin_kind(Builtin::AnyUri), K::String);
        assert_eq!(builtin_kind(Builtin::DateTime), K::DateTime);
        assert_eq!(builtin_kind(Builtin::Double), K::Other);
        assert_eq!(builtin_kind(Builtin::GYear), K::Other);
    }
}
