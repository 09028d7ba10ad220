//! Validating a mapping's XML output against the receiver's schema (`[output] schema`):
//! `check` reports a broken output schema and an output structure that can never be valid;
//! an output the schema refuses is a 422 at submission (with the output's rule, line, column
//! and element path) and a dead letter with that reason at delivery.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

const PATIENCE: Duration = Duration::from_secs(30);

/// The golden case's mapping and the vendor schema (with its catalog) copied into `dir`, the
/// mapping's code list translating `neubau` to `neubau_code`.
fn write_vendor_mapping(dir: &Path, neubau_code: &str) {
    let case = repo_path("tests/mapping_golden/bauantrag-xml-output-schema");
    let mapping = std::fs::read_to_string(case.join("mapping.toml")).expect("mapping");
    assert!(mapping.contains("neubau = \"NEW_BUILDING\""));
    std::fs::write(
        dir.join("vendor.toml"),
        mapping.replace(
            "neubau = \"NEW_BUILDING\"",
            &format!("neubau = {neubau_code:?}"),
        ),
    )
    .expect("write mapping");
    std::fs::create_dir_all(dir.join("schema")).expect("mkdir");
    for file in [
        "catalog.xml",
        "bausoftware-import-2.xsd",
        "bausoftware-typen-2.xsd",
    ] {
        std::fs::copy(
            case.join("schema").join(file),
            dir.join("schema").join(file),
        )
        .expect("copy schema");
    }
}

const VENDOR_ROUTE: &str = r#"
[[route]]
name = "bauantrag"
root_name = "bauantrag.antrag.*"
schema_set = "example"
destinations = [{ destination = "vendor", mapping = "vendor-xml" }]

[[mapping]]
name = "vendor-xml"
kind = "declarative"
file = "vendor.toml"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_the_receivers_schema_refuses_is_422_at_submission_and_a_dead_letter_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_vendor_mapping(dir.path(), "NEW_BUILDING");
    // 503 keeps the first submission pending until the mapping has changed.
    let receiver = Receiver::start(503).await;
    let config = http_config(
        dir.path(),
        &[],
        &format!(
            "{VENDOR_ROUTE}\n[[destination]]\nkind = \"http\"\nname = \"vendor\"\nurl = {:?}\n",
            receiver.url
        ),
    );
    let gateway = GatewayProcess::start(&config);
    let response = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("first attempt", PATIENCE, || async {
        (!receiver.received().is_empty()).then_some(())
    })
    .await;
    let first = &receiver.received()[0];
    assert_eq!(first.headers["content-type"], "application/xml");
    assert!(
        String::from_utf8_lossy(&first.body).contains("<Vorhaben art=\"NEW_BUILDING\">"),
        "{}",
        String::from_utf8_lossy(&first.body)
    );

    // The operator changes the code list to a code the receiver's enumeration lacks. The
    // mapping still compiles (the structure fits), so the reload is applied...
    write_vendor_mapping(dir.path(), "NEUBAU");
    gateway.signal("HUP");
    eventually("reload applied", PATIENCE, || async {
        let metrics = metrics(&gateway).await;
        (metric_value(
            &metrics,
            "xoev_gateway_config_reloads_total{result=\"success\"}",
        ) == 1.0)
            .then_some(())
    })
    .await;

    // ...new submissions are refused with the output's problems...
    let refused = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(refused.status().as_u16(), 422);
    let problem: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(problem["type"], "urn:xoev-gateway:problem:unmappable");
    let problems = problem["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problem}");
    assert_eq!(problems[0]["rule"], "cvc-enumeration-valid", "{problem}");
    assert_eq!(problems[0]["line"], 8, "{problem}");
    assert_eq!(
        problems[0]["element_path"], "/Vorgang/Vorhaben",
        "{problem}"
    );
    let message = problems[0]["message"].as_str().expect("message");
    assert!(
        message.contains("destination vendor")
            && message.contains("mapping vendor-xml")
            && message.contains("in the output")
            && message.contains("NEUBAU"),
        "{message}"
    );

    // ...and the pending one is dead-lettered at its next attempt, with the reason.
    eventually("dead lettered by the output schema", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "dead_lettered").then_some(())
    })
    .await;
    let (_, listing) = get_json(&gateway, "/v1/dead-letters", ADMIN_TOKEN).await;
    let reason = listing["dead_letters"][0]["reason"]
        .as_str()
        .expect("reason")
        .to_owned();
    assert!(
        reason.starts_with("mapping failed: the output is not valid against the receiver's schema: cvc-enumeration-valid at 8:"),
        "{reason}"
    );
    assert!(reason.contains("in /Vorgang/Vorhaben"), "{reason}");
    // Dead-letter reasons carry no message content: the validator's message quotes the value.
    assert!(!reason.contains("NEUBAU"), "{reason}");
}

fn check(config: &Path) -> (Option<i32>, String) {
    let output = gateway_command()
        .args(["check", "--config"])
        .arg(config)
        .output()
        .expect("run check");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_reports_a_broken_output_schema_and_output_that_can_never_be_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_vendor_mapping(dir.path(), "NEW_BUILDING");
    let config = http_config(
        dir.path(),
        &[],
        &format!(
            "{VENDOR_ROUTE}\n[[destination]]\nkind = \"directory\"\nname = \"vendor\"\npath = \"outbox\"\n"
        ),
    );
    let (code, report) = check(&config);
    assert_eq!(code, Some(0), "{report}");

    // A type library the import schema refers to but that no longer defines `t:Person`.
    let types = dir.path().join("schema/bausoftware-typen-2.xsd");
    let text = std::fs::read_to_string(&types).expect("types");
    std::fs::write(&types, text.replace("name=\"Person\"", "name=\"Persona\"")).expect("write");
    let (code, report) = check(&config);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("mapping \"vendor-xml\"")
            && report.contains("[output]: output schema:")
            && report.contains("Person"),
        "{report}"
    );

    // A missing schema file.
    std::fs::write(&types, text).expect("write");
    std::fs::remove_file(dir.path().join("schema/catalog.xml")).expect("remove catalog");
    let (code, report) = check(&config);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("[output]: output schema:") && report.contains("catalog.xml"),
        "{report}"
    );

    // A schema that compiles, and a mapping whose output can never fit it.
    write_vendor_mapping(dir.path(), "NEW_BUILDING");
    let mapping = std::fs::read_to_string(dir.path().join("vendor.toml")).expect("mapping");
    std::fs::write(
        dir.path().join("vendor.toml"),
        format!(
            "{mapping}\n[[field]]\nname = \"Bauherr\"\npath = \"antragsteller/familienname\"\n\
             [[field]]\nname = \"@version\"\nvalue = \"2\"\n\
             [[field]]\nname = \"Extra\"\n  [[field.field]]\n  name = \"Eingang\"\n  value = \"x\"\n"
        ),
    )
    .expect("write mapping");
    let (code, report) = check(&config);
    assert_eq!(code, Some(1), "{report}");
    for expected in [
        "field `Bauherr`: the output schema allows no element {urn:example:bausoftware-import:2}Bauherr in Vorgang",
        "field `@version`: the output schema allows no attribute version on Vorgang",
        "field `Extra`: the output schema allows no element {urn:example:bausoftware-import:2}Extra in Vorgang",
    ] {
        assert!(report.contains(expected), "{expected:?} missing in:\n{report}");
    }
}
