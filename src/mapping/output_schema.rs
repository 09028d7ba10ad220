//! The receiver's schema for XML output (`[output] schema`): compiled with the plan, checked
//! against the plan's output structure so that a mapping whose output can never be valid is a
//! compile problem where that can be shown, and used to validate every output in memory.
//!
//! The structure check only reports what is certain: an element name the parent's content
//! model never allows, an attribute the element never allows, text in element-only content,
//! child elements in simple content. Past an element wildcard nothing is checked, and missing
//! required elements or wrong order are left to validating the output.

use std::fmt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use xsd_validator::{SchemaSet, ValidationOptions, Violation};

use super::expression::Expr;
use super::path::ExpandedName;
use super::plan::{CompileProblem, FieldContent, OutputFormat, Plan, Target};
use super::schema_check::{ContentKind, SchemaNode, SchemaPaths};
use super::schema_paths::SchemaSetPaths;

/// At most this many violations are collected per output: enough to fix a mapping, bounded
/// for dead-letter reasons.
const MAX_OUTPUT_VIOLATIONS: usize = 20;

/// A compiled output schema set and the files it came from.
#[derive(Clone)]
pub struct OutputSchema {
    files: Vec<PathBuf>,
    set: Arc<SchemaSet>,
}

impl fmt::Debug for OutputSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputSchema")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl OutputSchema {
    /// Loads and compiles the schema set; every problem as a message.
    pub(crate) fn compile(
        files: Vec<PathBuf>,
        catalog: Option<&FsPath>,
    ) -> Result<OutputSchema, Vec<String>> {
        match SchemaSet::compile(&files, catalog) {
            Ok(set) => Ok(OutputSchema {
                files,
                set: Arc::new(set),
            }),
            Err(errors) => Err(errors.iter().map(ToString::to_string).collect()),
        }
    }

    /// The entry files, resolved against the mapping file.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    pub fn schema_set(&self) -> &SchemaSet {
        &self.set
    }

    /// Validates a produced output; the violations (positions and paths in the output) when
    /// it is not valid.
    pub(crate) fn validate(&self, output: &[u8]) -> Result<(), Vec<Violation>> {
        let options = ValidationOptions {
            max_violations: MAX_OUTPUT_VIOLATIONS,
            ..ValidationOptions::default()
        };
        let outcome = self.set.validate(output, &options);
        if outcome.is_valid() {
            Ok(())
        } else {
            Err(outcome.violations)
        }
    }
}

/// Every way the plan's output can be shown never to fit `schema`; empty when none is found.
pub(crate) fn check_structure(plan: &Plan, schema: &OutputSchema) -> Vec<CompileProblem> {
    let OutputFormat::Xml { root, namespaces } = &plan.output else {
        return Vec::new();
    };
    let checker = StructureCheck {
        plan,
        paths: SchemaSetPaths::new(&schema.set),
        namespaces,
        problems: Vec::new(),
    };
    checker.run(root)
}

struct StructureCheck<'p> {
    plan: &'p Plan,
    paths: SchemaSetPaths<'p>,
    namespaces: &'p [(String, String)],
    problems: Vec<CompileProblem>,
}

impl StructureCheck<'_> {
    fn run(mut self, root: &str) -> Vec<CompileProblem> {
        let name = self.expand(root, false);
        let Some(node) = self.paths.root(&name) else {
            self.problems.push(CompileProblem {
                field: "[output]".into(),
                message: format!(
                    "the output schema declares no (non-abstract) global element {name} for root {root:?}"
                ),
            });
            return self.problems;
        };
        let top = self
            .plan
            .scopes
            .first()
            .map(|s| s.fields.clone())
            .unwrap_or_default();
        self.fields(&top, &[node], root);
        self.problems
    }

    /// `prefix:local` in the output's namespaces; unprefixed elements are in the default
    /// namespace, unprefixed attributes in none (as in XML Namespaces).
    fn expand(&self, qualified: &str, attribute: bool) -> ExpandedName {
        let (prefix, local) = qualified.split_once(':').unwrap_or(("", qualified));
        let namespace = if prefix.is_empty() && attribute {
            None
        } else {
            self.namespaces
                .iter()
                .find(|(p, _)| p == prefix)
                .map(|(_, uri)| uri.clone())
        };
        ExpandedName {
            namespace,
            local: local.to_owned(),
        }
    }

    fn problem(&mut self, field: &str, message: String) {
        self.problems.push(CompileProblem {
            field: field.to_owned(),
            message,
        });
    }

    /// Checks `fields` written inside an element that is one of `parents` (named `parent`).
    fn fields(&mut self, fields: &[usize], parents: &[SchemaNode], parent: &str) {
        let plan = self.plan;
        for &id in fields {
            let Some(field) = plan.fields.get(id) else {
                continue;
            };
            if field.xml_attribute {
                let qualified = field.name.trim_start_matches('@');
                let name = self.expand(qualified, true);
                if !parents.iter().any(|n| self.paths.has_attribute(*n, &name)) {
                    self.problem(
                        &field.location,
                        format!("the output schema allows no attribute {name} on {parent}"),
                    );
                }
                continue;
            }
            let name = self.expand(&field.name, false);
            let mut nodes = Vec::new();
            let mut open = false;
            for node in parents {
                let children = self.paths.children(*node);
                open |= children.wildcard;
                nodes.extend(
                    children
                        .named
                        .into_iter()
                        .filter(|(n, _)| *n == name)
                        .map(|(_, node)| node),
                );
            }
            if open {
                // Past a wildcard the element may be anything: nothing below is conclusive.
                continue;
            }
            if nodes.is_empty() {
                self.problem(
                    &field.location,
                    format!("the output schema allows no element {name} in {parent}"),
                );
                continue;
            }
            let kinds: Vec<ContentKind> = nodes.iter().map(|n| self.paths.content(*n)).collect();
            match &field.content {
                FieldContent::Value(expr) => self.text(expr, &kinds, &name, &field.location),
                FieldContent::Object(children) => {
                    self.nested(children, &nodes, &kinds, &field.name, &field.location);
                }
                FieldContent::Group { .. } => {
                    let item_scope = plan.selectors.iter().find_map(|s| match s.target {
                        Target::Item { scope, .. } if s.field == id => plan.scopes.get(scope),
                        _ => None,
                    });
                    let Some(item_scope) = item_scope else {
                        continue;
                    };
                    // A group of values writes one element with text per item.
                    let value = item_scope.value.and_then(|v| plan.fields.get(v));
                    match value.map(|v| &v.content) {
                        Some(FieldContent::Value(expr)) => {
                            self.text(expr, &kinds, &name, &field.location);
                        }
                        _ => self.nested(
                            &item_scope.fields,
                            &nodes,
                            &kinds,
                            &field.name,
                            &field.location,
                        ),
                    }
                }
            }
        }
    }

    /// A value written as the text of an element whose content is one of `kinds`.
    fn text(&mut self, expr: &Expr, kinds: &[ContentKind], name: &ExpandedName, location: &str) {
        // A constant empty value writes `<x/>`, which element-only content takes.
        let always_empty = matches!(expr, Expr::Literal(text) if text.is_empty());
        if !always_empty && kinds.iter().all(|k| *k == ContentKind::ElementOnly) {
            self.problem(
                location,
                format!(
                    "{name} has element-only content in the output schema, but the field writes text into it"
                ),
            );
        }
    }

    fn nested(
        &mut self,
        children: &[usize],
        nodes: &[SchemaNode],
        kinds: &[ContentKind],
        name: &str,
        location: &str,
    ) {
        let writes_elements = children.iter().any(|id| {
            self.plan
                .fields
                .get(*id)
                .is_some_and(|child| !child.xml_attribute)
        });
        let simple = kinds
            .iter()
            .all(|k| !matches!(k, ContentKind::ElementOnly | ContentKind::Other));
        if writes_elements && simple {
            self.problem(
                location,
                format!(
                    "{name} has simple content ({:?}) in the output schema, but nested fields write child elements into it",
                    kinds.first().copied().unwrap_or(ContentKind::Other)
                ),
            );
            return;
        }
        self.fields(children, nodes, name);
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::{MappingError, Plan};

    const SCHEMA: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
        xmlns:v="urn:v" targetNamespace="urn:v" elementFormDefault="qualified">
      <xs:element name="Out">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="Name" type="xs:string"/>
            <xs:element name="Kosten" type="xs:decimal" minOccurs="0"/>
            <xs:element name="Teil" minOccurs="0" maxOccurs="unbounded">
              <xs:complexType>
                <xs:sequence><xs:element name="Nr" type="xs:integer"/></xs:sequence>
                <xs:attribute name="art" type="xs:token"/>
              </xs:complexType>
            </xs:element>
            <xs:element name="Frei" minOccurs="0">
              <xs:complexType>
                <xs:sequence><xs:any processContents="lax" namespace="##any" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:schema>"###;

    /// A mapping with `[output] schema = "out.xsd"` in a fresh directory holding `SCHEMA`.
    fn compile(output: &str, fields: &str) -> (tempfile::TempDir, Result<Plan, Vec<String>>) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("out.xsd"), SCHEMA).expect("write schema");
        let text = format!("[source]\nroot = {{ name = \"r\" }}\n[output]\n{output}\n{fields}");
        let result = Plan::compile(&text, &dir.path().join("m.toml"))
            .map_err(|e| e.problems.iter().map(ToString::to_string).collect());
        (dir, result)
    }

    const XML: &str =
        "format = \"xml\"\nroot = \"v:Out\"\nnamespaces = { v = \"urn:v\" }\nschema = \"out.xsd\"";

    const FIELDS: &str = r#"
[[field]]
name = "v:Name"
path = "name"
[[field]]
name = "v:Kosten"
path = "kosten"
[[field]]
name = "v:Teil"
for_each = "teil"
  [[field.field]]
  name = "@art"
  path = "@art"
  [[field.field]]
  name = "v:Nr"
  path = "nr"
"#;

    #[test]
    fn valid_output_passes_and_invalid_output_is_a_mapping_error_with_output_positions() {
        let (_dir, plan) = compile(XML, FIELDS);
        let plan = plan.unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(
            plan.output_schema().map(|s| s.files().len()),
            Some(1),
            "the schema is part of the plan"
        );
        let good = plan
            .map_document(
                b"<r><name>A</name><kosten>12.50</kosten><teil art='x'><nr>1</nr></teil></r>",
            )
            .expect("valid output");
        assert!(String::from_utf8_lossy(&good).contains("<v:Nr>1</v:Nr>"));

        // `Kosten` is no decimal, the second `Teil` lacks its required `Nr`.
        let error = plan
            .map_document(
                "<r><name>A</name><kosten>zwölf</kosten><teil><nr>1</nr></teil><teil/></r>"
                    .as_bytes(),
            )
            .expect_err("invalid output");
        let MappingError::InvalidOutput { violations } = &error else {
            panic!("expected InvalidOutput, got {error:?}");
        };
        let found: Vec<(&str, u32, &str)> = violations
            .iter()
            .map(|v| (v.rule, v.line, v.element_path.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("cvc-datatype-valid.1.2.1", 4, "/v:Out/v:Kosten"),
                ("cvc-complex-type.2.4.b", 8, "/v:Out/v:Teil[2]"),
            ],
            "{violations:#?}"
        );
        let display = error.to_string();
        assert!(
            display.starts_with("the output is not valid against the receiver's schema: cvc-datatype-valid.1.2.1 at 4:"),
            "{display}"
        );
        // Reasons end up in dead letters and logs: no values from the message.
        assert!(!display.contains("zwölf"), "{display}");
        assert!(error.output_violations()[0].message.contains("zwölf"));
    }

    #[test]
    fn a_schema_on_json_output_or_a_catalog_alone_is_a_compile_error() {
        let (_dir, result) = compile("format = \"json\"\nschema = \"out.xsd\"", FIELDS);
        assert_eq!(
            result.err(),
            Some(vec!["[output]: `schema` and `catalog` apply to XML output only (JSON output cannot be validated against a JSON Schema)".to_owned()])
        );
        let (_dir, result) = compile(
            "format = \"xml\"\nroot = \"v:Out\"\nnamespaces = { v = \"urn:v\" }\ncatalog = \"c.xml\"",
            FIELDS,
        );
        assert_eq!(
            result.err(),
            Some(vec!["[output]: `catalog` needs `schema`".to_owned()])
        );
    }

    #[test]
    fn a_missing_or_broken_schema_is_reported_under_output() {
        let (_dir, result) = compile(&XML.replace("out.xsd", "gibtsnicht.xsd"), FIELDS);
        let problems = result.expect_err("missing schema");
        assert!(
            problems
                .iter()
                .all(|p| p.starts_with("[output]: output schema:"))
                && problems.iter().any(|p| p.contains("gibtsnicht.xsd")),
            "{problems:?}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("out.xsd"),
            SCHEMA.replace("type=\"xs:integer\"", "type=\"v:Undefiniert\""),
        )
        .expect("write");
        let text = format!("[source]\nroot = {{ name = \"r\" }}\n[output]\n{XML}\n{FIELDS}");
        let problems = Plan::compile(&text, &dir.path().join("m.toml"))
            .expect_err("broken schema")
            .problems;
        assert!(
            problems
                .iter()
                .any(|p| p.field == "[output]" && p.message.contains("Undefiniert")),
            "{problems:?}"
        );
    }

    #[test]
    fn output_that_can_never_be_valid_is_a_compile_error() {
        let (_dir, result) = compile(
            XML,
            r#"
[[field]]
name = "@v:fremd"
value = "1"
[[field]]
name = "v:Name"
  [[field.field]]
  name = "v:Vorname"
  path = "vorname"
[[field]]
name = "v:Teil"
for_each = "teil"
  [[field.field]]
  name = "@art"
  path = "@art"
  [[field.field]]
  name = "v:Unbekannt"
  path = "x"
[[field]]
name = "v:Frei"
  [[field.field]]
  name = "v:Beliebig"
  path = "x"
  [[field.field]]
  name = "@attr"
  path = "x"
"#,
        );
        assert_eq!(
            result.err(),
            Some(vec![
                "field `@v:fremd`: the output schema allows no attribute {urn:v}fremd on v:Out".to_owned(),
                "field `v:Name`: v:Name has simple content (String) in the output schema, but nested fields write child elements into it".to_owned(),
                "field `v:Teil[].v:Unbekannt`: the output schema allows no element {urn:v}Unbekannt in v:Teil".to_owned(),
                "field `v:Frei.@attr`: the output schema allows no attribute attr on v:Frei".to_owned(),
            ])
        );
        let (_dir, result) = compile(XML, "[[field]]\nname = \"v:Teil\"\npath = \"teil\"\n");
        assert_eq!(
            result.err(),
            Some(vec!["field `v:Teil`: {urn:v}Teil has element-only content in the output schema, but the field writes text into it".to_owned()])
        );
        let (_dir, result) = compile(
            &XML.replace("v:Out", "v:Aus"),
            "[[field]]\nname = \"v:Name\"\npath = \"n\"\n",
        );
        assert_eq!(
            result.err(),
            Some(vec!["[output]: the output schema declares no (non-abstract) global element {urn:v}Aus for root \"v:Aus\"".to_owned()])
        );
    }

    #[test]
    fn plans_with_an_output_schema_stay_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::OutputSchema>();
    }
}
