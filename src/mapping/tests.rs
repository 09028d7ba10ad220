//! Tests of the whole engine: compile, evaluate over reader events, write.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::path::ExpandedName;
use super::*;
use crate::config::{MappingConfig, MappingKind};

fn plan(text: &str) -> Plan {
    Plan::compile(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn problems(text: &str) -> Vec<String> {
    match Plan::compile(text, Path::new("test.toml")) {
        Ok(_) => panic!("compiled, expected problems"),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

fn json(plan: &Plan, xml: &str) -> serde_json::Value {
    let bytes = plan
        .map_document(xml.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

const HEADER: &str = r#"
[source]
root = { name = "r" }
[output]
format = "json"
"#;

#[test]
fn plans_are_shareable_between_delivery_workers() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Plan>();
    assert_send_sync::<Mappings>();
}

#[test]
fn identity_passes_the_original_bytes() {
    let mappings = Mappings::new(vec![MappingConfig {
        name: "plain".into(),
        kind: MappingKind::Identity,
    }]);
    let rendered = mappings.render(Some("plain"), b"<a/>").expect("render");
    assert_eq!(&rendered.body[..], b"<a/>");
    assert_eq!(rendered.content_type, "application/xml");
    assert_eq!(
        mappings.render(Some("missing"), b"<a/>").err(),
        Some(MappingError::Unknown("missing".into()))
    );
}

#[test]
fn declarative_plans_render_through_the_seam() {
    let p = plan(&format!("{HEADER}[[field]]\nname = \"a\"\npath = \"a\"\n"));
    let mappings = Mappings::new(Vec::new()).with_plan("m", Arc::new(p));
    assert!(mappings.contains("m"));
    let rendered = mappings
        .render(Some("m"), b"<r><a>x</a></r>")
        .expect("render");
    assert_eq!(rendered.content_type, "application/json");
    assert_eq!(
        String::from_utf8_lossy(&rendered.body),
        "{\n  \"a\": \"x\"\n}\n"
    );
    assert_eq!(
        mappings.render(Some("m"), b"<q/>").err(),
        Some(MappingError::WrongRoot {
            expected: "r".into(),
            found: "q".into()
        })
    );
    assert!(matches!(
        mappings.render(Some("m"), b"<r><a>x</r>").err(),
        Some(MappingError::Source { .. })
    ));
}

#[test]
fn child_descendant_text_attribute_and_self_paths() {
    let p = plan(&format!(
        r#"{HEADER}
[namespaces]
x = "urn:x"
[[field]]
name = "child"
path = "x:a/b"
[[field]]
name = "string_value"
path = "x:a"
[[field]]
name = "own_text"
path = "x:a/text()"
[[field]]
name = "descendant"
path = "//c"
[[field]]
name = "dot_descendant"
path = ".//x:a//c"
[[field]]
name = "attribute"
path = "x:a/b/@k"
[[field]]
name = "root_attribute"
path = "@version"
[[field]]
name = "absolute"
path = "/r/x:a/b"
[[field]]
name = "wildcard"
path = "*/b"
"#
    ));
    let out = json(
        &p,
        r#"<r version="1.0" xmlns:y="urn:x"><y:a>t1<b k="v">B</b>t2<d><c>C</c></d></y:a></r>"#,
    );
    assert_eq!(
        out,
        serde_json::json!({
            "child": "B", "string_value": "t1Bt2C", "own_text": "t1t2", "descendant": "C",
            "dot_descendant": "C", "attribute": "v", "root_attribute": "1.0", "absolute": "B",
            "wildcard": "B"
        })
    );
}

#[test]
fn predicates_on_attributes_and_positions_are_counted_per_parent() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "second"
path = "g/i[2]"
[[field]]
name = "v2"
path = "g/i[@v='2']"
[[field]]
name = "second_with_v"
path = "g/i[@v][2]"
[[field]]
name = "not_v1"
path = "g/i[@v != '1']/@v"
[[field]]
name = "first_in_second_group"
path = "g[2]/i[1]"
[[field]]
name = "firsts"
for_each = "//i[1]"
  [[field.field]]
  name = "t"
  path = "."
"#
    ));
    let out = json(
        &p,
        r#"<r><g><i>a</i><i v="1">b</i><i v="2">c</i></g><g><i>d</i><i>e</i></g></r>"#,
    );
    assert_eq!(
        out,
        serde_json::json!({
            "second": "b", "v2": "c", "second_with_v": "c", "not_v1": "2",
            "first_in_second_group": "d",
            "firsts": [{"t": "a"}, {"t": "d"}]
        })
    );
}

#[test]
fn nested_groups_keep_document_order_and_relative_paths() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "akten"
for_each = "akte"
  [[field.field]]
  name = "id"
  path = "id"
  [[field.field]]
  name = "vorgaenge"
  for_each = ".//vorgang"
    [[field.field.field]]
    name = "id"
    path = "id"
    [[field.field.field]]
    name = "kind"
    path = "@k"
"#
    ));
    // Vorgänge nest in Vorgänge: the outer one opens first and must come first.
    let out = json(
        &p,
        r#"<r><akte><id>A1</id><inhalt><vorgang k="o"><id>V1</id><vorgang k="i"><id>V2</id></vorgang></vorgang></inhalt></akte><x/><akte><id>A2</id></akte></r>"#,
    );
    assert_eq!(
        out,
        serde_json::json!({"akten": [
            {"id": "A1", "vorgaenge": [{"id": "V1", "kind": "o"}, {"id": "V2", "kind": "i"}]},
            {"id": "A2", "vorgaenge": []}
        ]})
    );
}

#[test]
fn objects_constants_defaults_and_required() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "kind"
value = "bauantrag"
[[field]]
name = "person"
  [[field.field]]
  name = "name"
  expr = "concat(p/vorname, ' ', p/name)"
  [[field.field]]
  name = "title"
  path = "p/titel"
  default = "-"
  [[field.field]]
  name = "nickname"
  path = "p/spitzname"
[[field]]
name = "id"
path = "id"
required = true
"#
    ));
    let out = json(
        &p,
        "<r><id>7</id><p><vorname>A</vorname><name>B</name><titel/></p></r>",
    );
    // An empty `titel` gets the default; an absent optional field is left out.
    assert_eq!(
        out,
        serde_json::json!({"kind": "bauantrag", "person": {"name": "A B", "title": "-"}, "id": "7"})
    );
    let error = p.map_document(b"<r><id> </id></r>").map(|_| ());
    assert_eq!(error, Ok(()), "whitespace is a value");
    assert_eq!(
        p.map_document(b"<r><id/></r>").err(),
        Some(MappingError::MissingRequired {
            field: "id".into(),
            path: "id".into()
        })
    );
    assert_eq!(
        p.map_document(b"<r/>").err().map(|e| e.to_string()),
        Some("required field `id` has no value (from \"id\")".into())
    );
}

#[test]
fn required_inside_groups_names_the_group_location() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "items"
for_each = "i"
required = true
  [[field.field]]
  name = "code"
  path = "c"
  required = true
"#
    ));
    assert_eq!(
        p.map_document(b"<r><i><c>1</c></i><i/></r>").err(),
        Some(MappingError::MissingRequired {
            field: "items[].code".into(),
            path: "c".into()
        })
    );
    assert_eq!(
        p.map_document(b"<r/>").err(),
        Some(MappingError::MissingRequired {
            field: "items".into(),
            path: "i".into()
        })
    );
}

#[test]
fn json_typing_per_field_type() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "n"
path = "n"
type = "number"
[[field]]
name = "i"
path = "i"
type = "integer"
[[field]]
name = "b"
path = "b"
type = "boolean"
[[field]]
name = "d"
path = "d"
type = "date"
[[field]]
name = "s"
path = "s"
[[field]]
name = "empty_number"
path = "e"
type = "number"
"#
    ));
    let bytes = p
        .map_document(
            b"<r><n>485000.00</n><i>02</i><b>1</b><d>2020-07-24</d><s>\"q\"\\</s><e/></r>",
        )
        .expect("map");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        "{\n  \"n\": 485000.00,\n  \"i\": 2,\n  \"b\": true,\n  \"d\": \"2020-07-24\",\n  \"s\": \"\\\"q\\\"\\\\\"\n}\n"
    );
    assert_eq!(
        p.map_document(b"<r><n>viel</n></r>").err(),
        Some(MappingError::InvalidValue {
            field: "n".into(),
            expected: "a number (xs:decimal or xs:double)".into()
        })
    );
    assert!(matches!(
        p.map_document(b"<r><d>24.07.2020</d></r>").err(),
        Some(MappingError::InvalidValue { ref field, .. }) if field == "d"
    ));
}

#[test]
fn choose_when_otherwise() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "status"
choose = [
  {{ when = "s = 'A'", then = "'archivieren'" }},
  {{ when = "exists(s) and not(s = '')", then = "concat('anders: ', s)" }},
  {{ otherwise = "'unbekannt'" }},
]
"#
    ));
    assert_eq!(json(&p, "<r><s>A</s></r>")["status"], "archivieren");
    assert_eq!(json(&p, "<r><s>V</s></r>")["status"], "anders: V");
    assert_eq!(json(&p, "<r/>")["status"], "unbekannt");
}

#[test]
fn inline_code_lists_named_and_per_field() {
    let p = plan(&format!(
        r#"{HEADER}
[codelists.art]
values = {{ neubau = "NEW", umbau = "CHANGE" }}
[codelists.lenient]
values = {{ a = "A" }}
on_unknown = "keep"
[[field]]
name = "art"
path = "art/code"
codelist = "art"
[[field]]
name = "art_in_expr"
expr = "lower(lookup('art', art/code))"
[[field]]
name = "inline"
path = "x"
codelist = {{ values = {{ "1" = "eins" }}, on_unknown = "empty" }}
default = "?"
[[field]]
name = "kept"
path = "x"
codelist = "lenient"
"#
    ));
    assert_eq!(
        json(&p, "<r><art><code> neubau </code></art><x>2</x></r>"),
        serde_json::json!({"art": "NEW", "art_in_expr": "new", "inline": "?", "kept": "2"})
    );
    assert_eq!(
        p.map_document(b"<r><art><code>abriss</code></art></r>")
            .err(),
        Some(MappingError::UnknownCode {
            field: "art".into(),
            list: "art".into(),
            code: "abriss".into()
        })
    );
}

#[test]
fn genericode_code_lists_load_relative_to_the_mapping_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("liste.xml"),
        r#"<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
  <ColumnSet><Column Id="code"/><Column Id="name"/></ColumnSet>
  <SimpleCodeList><Row><Value ColumnRef="code"><SimpleValue>B</SimpleValue></Value>
  <Value ColumnRef="name"><SimpleValue>Bewerten</SimpleValue></Value></Row></SimpleCodeList>
</gc:CodeList>"#,
    )
    .expect("write");
    let mapping = dir.path().join("m.toml");
    std::fs::write(
        &mapping,
        format!(
            "{HEADER}[[field]]\nname = \"a\"\npath = \"a\"\ncodelist = {{ genericode = \"liste.xml\", key_column = \"code\", value_column = \"name\" }}\n"
        ),
    )
    .expect("write");
    let p = Plan::load(&mapping).expect("load");
    assert_eq!(json(&p, "<r><a>B</a></r>")["a"], "Bewerten");
    std::fs::write(
        &mapping,
        format!(
            "{HEADER}[[field]]\nname = \"a\"\npath = \"a\"\ncodelist = {{ genericode = \"fehlt.xml\", key_column = \"code\", value_column = \"name\" }}\n"
        ),
    )
    .expect("write");
    let error = Plan::load(&mapping).expect_err("missing file");
    assert!(
        error.to_string().contains("cannot read genericode"),
        "{error}"
    );
    assert!(error.to_string().contains("fehlt.xml"), "{error}");
}

#[test]
fn xml_output_with_namespaces_attributes_and_escaping() {
    let p = plan(
        r#"
[source]
root = { namespace = "urn:in", name = "r" }
[namespaces]
in = "urn:in"
[output]
format = "xml"
root = "v:Bericht"
namespaces = { v = "urn:vendor", "" = "urn:default" }
[[field]]
name = "@v:version"
value = "1"
[[field]]
name = "v:Titel"
path = "in:t"
[[field]]
name = "Probe"
for_each = "in:p"
  [[field.field]]
  name = "@id"
  path = "@id"
  [[field.field]]
  name = "Wert"
  path = "."
  type = "number"
[[field]]
name = "Leer"
value = ""
"#,
    );
    let out = p
        .map_document(br#"<r xmlns="urn:in"><t>A &amp; B &lt;"c"&gt;</t><p id="1&quot;">1.5</p><p id="2">2</p></r>"#)
        .expect("map");
    assert_eq!(
        String::from_utf8_lossy(&out),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<v:Bericht xmlns="urn:default" xmlns:v="urn:vendor" v:version="1">
  <v:Titel>A &amp; B &lt;"c"&gt;</v:Titel>
  <Probe id="1&quot;">
    <Wert>1.5</Wert>
  </Probe>
  <Probe id="2">
    <Wert>2</Wert>
  </Probe>
  <Leer/>
</v:Bericht>
"#
    );
    assert_eq!(p.content_type(), "application/xml");
}

#[test]
fn compile_problems_name_the_field_and_are_all_reported() {
    let found = problems(
        r#"
[source]
root = { name = "r" }
[output]
format = "yaml"
[[field]]
name = "a"
path = "y:b"
[[field]]
name = "a"
value = "dup"
[[field]]
name = "g"
for_each = "@x"
  [[field.field]]
  name = "c"
  path = "c"
[[field]]
name = "h"
for_each = "h"
  [[field.field]]
  name = "abs"
  path = "/r/h"
[[field]]
name = "both"
path = "a"
value = "b"
[[field]]
name = "t"
path = "a"
type = "money"
[[field]]
name = "f"
expr = "format-date(a, '%Q')"
[[field]]
name = "cl"
path = "a"
codelist = "nope"
[[field]]
name = "nothing"
"#,
    );
    let expected = [
        "[output]: format \"yaml\" is neither",
        "field `a`: prefix \"y\" is not declared",
        "field `a`: a field of this name is already defined",
        "field `g`: for_each \"@x\" must select elements",
        "field `h[].abs`: \"/r/h\": absolute paths are not allowed inside a group",
        "field `both`: give only one of",
        "field `t`: type \"money\" is not",
        "field `f`: format-date: unknown directive %Q",
        "field `cl`: codelist \"nope\" is not defined",
        "field `nothing`: needs one of",
    ];
    for needle in expected {
        assert!(
            found.iter().any(|p| p.contains(needle)),
            "{needle:?} not in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    let error = Plan::compile("[source]\nroot = 1\n", Path::new("dir/x.toml")).expect_err("bad");
    assert!(
        error
            .to_string()
            .starts_with("mapping dir/x.toml:\n  [file]: "),
        "{error}"
    );
}

/// Counts events with no buffering of its own.
#[test]
fn memory_is_bounded_by_the_selected_data_not_the_document() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "id"
path = "kopf/id"
[[field]]
name = "last"
path = "ende/wert"
[[field]]
name = "any_deep"
path = ".//tief"
"#
    ));
    let mut evaluation = p.evaluation();
    evaluation.start_element(None, "r", &NoAttributes);
    evaluation.start_element(None, "kopf", &NoAttributes);
    evaluation.start_element(None, "id", &NoAttributes);
    evaluation.text("ID-1");
    evaluation.end_element();
    evaluation.end_element();
    let filler = "x".repeat(100);
    for i in 0..100_000u32 {
        evaluation.start_element(None, "daten", &[(None, "n", "1")]);
        evaluation.start_element(None, "feld", &NoAttributes);
        evaluation.text(&filler);
        if i % 1000 == 0 {
            evaluation.start_element(None, "id", &NoAttributes);
            evaluation.text("not selected: wrong parent");
            evaluation.end_element();
        }
        evaluation.end_element();
        evaluation.end_element();
    }
    evaluation.start_element(None, "ende", &NoAttributes);
    evaluation.start_element(None, "wert", &NoAttributes);
    evaluation.text("W");
    evaluation.end_element();
    evaluation.end_element();
    evaluation.end_element();
    // 10 MB of text went by; only "ID-1" and "W" were selected.
    assert_eq!(evaluation.peak_buffered_bytes(), "ID-1".len() + "W".len());
    // Live steps: the descendant step rides along at every depth, nothing else grows.
    assert!(
        evaluation.peak_live_entries() <= 8,
        "{}",
        evaluation.peak_live_entries()
    );
    let out = evaluation.finish().expect("finish");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out).expect("json"),
        serde_json::json!({"id": "ID-1", "last": "W"})
    );
}

#[test]
fn first_match_wins_and_stops_buffering() {
    let p = plan(&format!(
        "{HEADER}[[field]]\nname = \"a\"\npath = \".//a\"\n"
    ));
    let mut evaluation = p.evaluation();
    evaluation.start_element(None, "r", &NoAttributes);
    for i in 0..1000 {
        evaluation.start_element(None, "a", &NoAttributes);
        evaluation.text(if i == 0 { "first" } else { "later" });
        evaluation.end_element();
    }
    evaluation.end_element();
    assert_eq!(evaluation.peak_buffered_bytes(), "first".len());
    assert_eq!(
        String::from_utf8_lossy(&evaluation.finish().expect("finish")),
        "{\n  \"a\": \"first\"\n}\n"
    );
}

#[test]
fn an_unfinished_document_is_incomplete() {
    let p = plan(&format!("{HEADER}[[field]]\nname = \"a\"\npath = \"a\"\n"));
    let mut evaluation = p.evaluation();
    evaluation.start_element(None, "r", &NoAttributes);
    assert_eq!(evaluation.finish().err(), Some(MappingError::Incomplete));
}

/// A schema of `r` with children `d` (date) and `n` (decimal); `n` has attribute `u`.
struct FakeSchema;

fn name(local: &str) -> ExpandedName {
    ExpandedName {
        namespace: None,
        local: local.into(),
    }
}

impl SchemaPaths for FakeSchema {
    fn root(&self, root: &ExpandedName) -> Option<SchemaNode> {
        (root.local == "r").then_some(SchemaNode(0))
    }
    fn children(&self, node: SchemaNode) -> Children {
        match node.0 {
            0 => Children {
                named: vec![
                    (name("d"), SchemaNode(1)),
                    (name("n"), SchemaNode(2)),
                    (name("x"), SchemaNode(3)),
                ],
                wildcard: false,
            },
            3 => Children {
                named: Vec::new(),
                wildcard: true,
            },
            _ => Children::default(),
        }
    }
    fn has_attribute(&self, node: SchemaNode, attribute: &ExpandedName) -> bool {
        node.0 == 2 && attribute.local == "u"
    }
    fn content(&self, node: SchemaNode) -> ContentKind {
        match node.0 {
            0 => ContentKind::ElementOnly,
            1 => ContentKind::Date,
            2 => ContentKind::Decimal,
            _ => ContentKind::Other,
        }
    }
}

#[test]
fn check_against_a_schema_finds_impossible_paths_and_type_misuse() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "ok_date"
expr = "format-date(d, '%d.%m.%Y')"
[[field]]
name = "ok_number"
path = "n"
type = "number"
[[field]]
name = "ok_attribute"
path = "n/@u"
[[field]]
name = "past_wildcard"
path = "x/anything/goes"
[[field]]
name = "descendant"
path = ".//n"
[[field]]
name = "no_such_child"
path = "q"
[[field]]
name = "no_such_attribute"
path = "d/@u"
[[field]]
name = "date_as_number"
expr = "format-number(d, 2)"
[[field]]
name = "number_as_date"
path = "n"
type = "date"
[[field]]
name = "g"
for_each = "d"
  [[field.field]]
  name = "inner"
  path = "z"
"#
    ));
    let found: Vec<String> = p
        .check_against(&FakeSchema)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        vec![
            "field `no_such_child`: path \"q\" can never match the schema: step 1 finds no element",
            "field `no_such_attribute`: path \"d/@u\" can never match the schema: no attribute u there",
            "field `date_as_number`: format-number cannot take \"d\", whose schema type is Date",
            "field `number_as_date`: type = date cannot take \"n\", whose schema type is Decimal",
            "field `g[].inner`: path \"z\" can never match the schema: step 1 finds no element",
        ]
    );
    let other_root = plan(
        "[source]\nroot = { name = \"s\" }\n[output]\nformat = \"json\"\n[[field]]\nname = \"a\"\nvalue = \"1\"\n",
    );
    assert_eq!(
        other_root
            .check_against(&FakeSchema)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["[source]: the schema declares no root element s"]
    );
}

#[test]
fn golden_cases_pass() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mapping_golden"));
    let report = run_golden_cases(&dir);
    let corpus_missing = golden::shared_corpus().is_none();
    for case in &report.cases {
        match &case.outcome {
            CaseOutcome::Passed => {}
            // Cases whose input lives in ../shared cannot run without it (outside CI).
            CaseOutcome::Unreadable { path, .. }
                if corpus_missing && path.to_string_lossy().contains("shared") => {}
            _ => panic!("{report}"),
        }
    }
    assert_eq!(report.cases.len(), 9, "{report}");
    // The expectations themselves are well-formed XML / valid JSON.
    for case in &report.cases {
        let dir = dir.join(&case.name);
        if let Ok(bytes) = std::fs::read(dir.join("expected.xml")) {
            let mut reader = xsd_validator::reader::Reader::from_slice(
                &bytes,
                xsd_validator::reader::Limits::default(),
            );
            while !matches!(
                reader
                    .next_event()
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name)),
                xsd_validator::reader::Event::Eof
            ) {}
        }
        if let Ok(bytes) = std::fs::read(dir.join("expected.json")) {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        }
    }
}

#[test]
fn golden_runner_reports_differences_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |case: &str, file: &str, text: &str| {
        std::fs::create_dir_all(dir.path().join(case)).expect("mkdir");
        std::fs::write(dir.path().join(case).join(file), text).expect("write");
    };
    let mapping = format!("{HEADER}[[field]]\nname = \"a\"\npath = \"a\"\nrequired = true\n");
    write("differs", "mapping.toml", &mapping);
    write("differs", "input.xml", "<r><a>x</a></r>");
    write("differs", "expected.json", "{\n  \"a\": \"y\"\n}\n");
    write("fails", "mapping.toml", &mapping);
    write("fails", "input.xml", "<r/>");
    write("fails", "expected.json", "{}");
    write("passes", "mapping.toml", &mapping);
    write("passes", "input.xml", "<r><a>x</a></r>");
    write("passes", "expected.json", "{\n  \"a\": \"x\"\n}\n");
    write(
        "unreadable",
        "case.toml",
        "input = \"missing.xml\"\nmapping = \"../passes/mapping.toml\"\n",
    );
    write("unreadable", "expected.json", "{}");
    let report = run_golden_cases(dir.path());
    let outcomes: Vec<(&str, &CaseOutcome)> = report
        .cases
        .iter()
        .map(|c| (c.name.as_str(), &c.outcome))
        .collect();
    assert!(
        matches!(
            outcomes.as_slice(),
            [
                ("differs", CaseOutcome::Differs { line: 2, .. }),
                ("fails", CaseOutcome::Error(message)),
                ("passes", CaseOutcome::Passed),
                ("unreadable", CaseOutcome::Unreadable { .. }),
            ] if message.contains("required field `a`")
        ),
        "{report}"
    );
    assert!(!report.all_passed());
    assert!(
        report.to_string().ends_with("1 of 4 cases passed"),
        "{report}"
    );
}

/// Prints a case's actual output: `MAP_CASE=dir cargo test --lib print_case -- --ignored`.
#[test]
#[ignore = "a tool for writing golden files, not a test"]
fn print_case() {
    let Ok(case) = std::env::var("MAP_CASE") else {
        return;
    };
    let case = PathBuf::from(case);
    let spec: toml::Value =
        toml::from_str(&std::fs::read_to_string(case.join("case.toml")).expect("case.toml"))
            .expect("toml");
    let get = |k: &str| case.join(spec.get(k).and_then(|v| v.as_str()).expect(k));
    let plan = Plan::load(&get("mapping")).unwrap_or_else(|e| panic!("{e}"));
    let out = plan
        .map_document(&std::fs::read(get("input")).expect("input"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(case.join("actual.out"), out).expect("write");
}

/// Arbitrary (also unbalanced) event sequences never panic and never grow state beyond what
/// they select; a cheap stand-in for the fuzz target until one exists.
#[test]
fn arbitrary_event_sequences_do_not_panic() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "a"
expr = "concat(.//a[2], a/@k, substring(b, 2, 1), format-number(c, 1))"
[[field]]
name = "g"
for_each = ".//b[@k='1']"
  [[field.field]]
  name = "inner"
  for_each = "a//b"
    [[field.field.field]]
    name = "t"
    path = "text()"
    type = "integer"
"#
    ));
    let names = ["r", "a", "b", "c"];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for _ in 0..2000 {
        let mut evaluation = p.evaluation();
        for _ in 0..next(60) {
            match next(4) {
                0 | 1 => {
                    let name = names.get(next(4) as usize).copied().unwrap_or("r");
                    let value = if next(2) == 0 { "1" } else { "2" };
                    evaluation.start_element(None, name, &[(None, "k", value)]);
                }
                2 => evaluation.text(["7", "x", " 1.25 ", ""][next(4) as usize]),
                _ => evaluation.end_element(),
            }
        }
        // Any outcome is fine; a panic is not.
        let _ = evaluation.finish();
    }
}

#[test]
fn groups_of_values_give_arrays_of_scalars() {
    let p = plan(&format!(
        r#"{HEADER}
[codelists.art]
values = {{ a = "ALPHA", b = "BETA" }}
on_unknown = "keep"

[[field]]
name = "names"
for_each = "person/name"
path = "text()"

[[field]]
name = "sizes"
for_each = "teil"
path = "@groesse"
type = "number"

[[field]]
name = "kinds"
for_each = "teil"
path = "art"
codelist = "art"
default = "NONE"

[[field]]
name = "labels"
for_each = "teil"
expr = "concat(art, '-', @groesse)"
required = true
"#
    ));
    let xml = r#"<r>
      <person><name>Anna</name><name> Ben </name></person>
      <person><name>Cem</name></person>
      <teil groesse="1.50"><art>a</art></teil>
      <teil><art>c</art></teil>
      <teil groesse="007"/>
    </r>"#;
    assert_eq!(
        json(&p, xml),
        serde_json::json!({
            "names": ["Anna", " Ben ", "Cem"],
            // The second teil has no @groesse: no item, not a null.
            "sizes": [1.50, 7],
            "kinds": ["ALPHA", "c", "NONE"],
            "labels": ["a-1.50", "c-", "-007"],
        })
    );
    assert_eq!(
        p.map_document(b"<r/>").err(),
        Some(MappingError::MissingRequired {
            field: "labels".into(),
            path: "teil".into()
        })
    );
    let bad = p
        .map_document(b"<r><teil groesse='viel'/></r>")
        .expect_err("not a number");
    assert_eq!(
        bad,
        MappingError::InvalidValue {
            field: "sizes[]".into(),
            expected: "a number (xs:decimal or xs:double)".into()
        }
    );
}

#[test]
fn groups_of_values_in_xml_repeat_the_element() {
    let p = plan(
        r#"
[source]
root = { name = "r" }
[output]
format = "xml"
root = "v:liste"
namespaces = { v = "urn:v" }
indent = 0
[[field]]
name = "v:name"
for_each = ".//name"
path = "."
"#,
    );
    let out = p
        .map_document(b"<r><a><name>x&amp;y</name></a><name>z</name></r>")
        .expect("maps");
    assert_eq!(
        String::from_utf8_lossy(&out),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><v:liste xmlns:v=\"urn:v\"><v:name>x&amp;y</v:name><v:name>z</v:name></v:liste>\n"
    );
}

#[test]
fn a_group_of_values_takes_no_nested_fields_and_is_no_attribute() {
    assert_eq!(
        problems(&format!(
            "{HEADER}[[field]]\nname = \"a\"\nfor_each = \"x\"\npath = \"y\"\n  [[field.field]]\n  name = \"b\"\n  path = \"b\"\n"
        )),
        ["field `a`: a group of values (for_each with path, value, expr or choose) cannot have nested fields"]
    );
    assert_eq!(
        problems(&format!(
            "{HEADER}[[field]]\nname = \"a\"\nfor_each = \"x\"\npath = \"y\"\nexpr = \"z\"\n"
        )),
        ["field `a`: give only one of path, value, expr and choose"]
    );
    assert_eq!(
        problems(&format!("{HEADER}[[field]]\nname = \"a\"\nfor_each = \"x\"\n")),
        ["field `a`: a group (for_each) needs nested fields, or path, value, expr or choose for a group of values"]
    );
}

/// Paths that begin alike share their steps in the evaluator; each keeps its own position,
/// predicate and first-match semantics, and groups under a shared step still see every match.
#[test]
fn paths_sharing_steps_keep_their_own_meaning() {
    let p = plan(&format!(
        r#"{HEADER}
[[field]]
name = "first"
path = "a/b"
[[field]]
name = "second"
path = "a[2]/b"
[[field]]
name = "flagged"
path = "a[@k='1']/b[2]"
[[field]]
name = "all"
for_each = "a/b"
path = "."
[[field]]
name = "deep"
path = ".//b"
[[field]]
name = "count"
expr = "concat(a/@k, '|', a/b)"
"#
    ));
    assert_eq!(
        json(
            &p,
            "<r><a><b>1</b></a><a k='1'><b>2</b><b>3</b></a><c><b>4</b></c></r>"
        ),
        serde_json::json!({
            "first": "1",
            "second": "2",
            "flagged": "3",
            "all": ["1", "2", "3"],
            "deep": "1",
            "count": "1|1",
        })
    );
}

#[test]
fn attributes_are_looked_up_by_expanded_name_from_any_source() {
    let p = plan(&format!(
        "{HEADER}[[field]]\nname = \"v\"\npath = \"a[@k='1']/@x\"\n"
    ));
    let mut evaluation = p.evaluation();
    evaluation.start_element(None, "r", &NoAttributes);
    // Same local name in a namespace: not the unqualified attribute the predicate names.
    let wrong: Vec<(Option<&str>, &str, &str)> = vec![(Some("urn:n"), "k", "1"), (None, "x", "no")];
    evaluation.start_element(None, "a", &wrong);
    evaluation.end_element();
    let right: Vec<(Option<&str>, &str, &str)> = vec![(None, "k", "1"), (None, "x", "yes")];
    evaluation.start_element(None, "a", &right);
    evaluation.end_element();
    evaluation.end_element();
    let out = evaluation.finish().expect("maps");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out).expect("json"),
        serde_json::json!({ "v": "yes" })
    );
}

/// `//` steps reach an element along several routes (nested `a`s here); each element is
/// selected once, in document order.
#[test]
fn descendant_steps_select_each_element_once() {
    let p = plan(&format!(
        "{HEADER}[[field]]\nname = \"bs\"\nfor_each = \".//a//b\"\npath = \"text()\"\n[[field]]\nname = \"second\"\npath = \".//a//b[2]\"\n"
    ));
    assert_eq!(
        json(
            &p,
            "<r><a><a><b>1</b><c><b>2</b></c></a><b>3</b></a><b>4</b><a><a><a><b>5</b><b>6</b></a></a></a></r>"
        ),
        serde_json::json!({ "bs": ["1", "2", "3", "5", "6"], "second": "6" })
    );
}
