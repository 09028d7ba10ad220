//! The operators' commands: `check`, `hash-token`, `--version`.

mod support;

use std::process::Command;

use support::*;

fn gateway_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xoev-gateway"))
}

#[test]
fn check_accepts_the_example_config() {
    let output = gateway_command()
        .args(["check", "--config"])
        .arg(repo_path("examples/gateway.toml"))
        .output()
        .expect("run check");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains(": ok ("));
}

#[test]
fn check_reports_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken_schema = dir.path().join("broken.xsd");
    std::fs::write(
        &broken_schema,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="a" type="missingType"/>
</xs:schema>"#,
    )
    .expect("write schema");
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        r#"
[[listener]]
address = "127.0.0.1:0"
[store]
kind = "sqlite"
path = "s.sqlite"
[[schema_set]]
name = "broken"
entry_files = ["broken.xsd"]
[[schema_set]]
name = "absent"
entry_files = ["does-not-exist.xsd"]
[[destination]]
kind = "http"
name = "bad-tls"
url = "https://127.0.0.1:1/"
tls = { ca_file = "no-such-ca.pem" }
"#,
    )
    .expect("write config");
    let output = gateway_command()
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .expect("run check");
    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "missingType",
        "does-not-exist.xsd",
        "no-such-ca.pem",
        "src-resolve",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} missing in:\n{report}"
        );
    }
}

#[test]
fn hash_token_prints_the_sha256() {
    let output = gateway_command()
        .args(["hash-token", SENDER_TOKEN])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        SENDER_TOKEN_SHA256
    );
    let version = gateway_command().arg("--version").output().expect("run");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("xoev-gateway "));
}

#[test]
fn validate_exit_codes_and_json() {
    let schema = repo_path("schemas/example/xoev-gateway-example.xsd");
    let valid = gateway_command()
        .args(["validate", "--schema"])
        .arg(&schema)
        .arg(repo_path("fixtures/valid/bauantrag-minimal.xml"))
        .output()
        .expect("run");
    assert_eq!(valid.status.code(), Some(0));

    let invalid = gateway_command()
        .args(["validate", "--json", "--schema"])
        .arg(&schema)
        .arg(repo_path("fixtures/invalid/invalid-postleitzahl.xml"))
        .output()
        .expect("run");
    assert_eq!(invalid.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&invalid.stdout).expect("one JSON object");
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["rule"], "cvc-pattern-valid");
    assert_eq!(report["problems"][0]["line"], 27);
    assert_eq!(
        report["problems"][0]["element_path"],
        "/ex:bauantrag.antrag.0200/antragsteller/anschrift/postleitzahl"
    );

    let not_compiling = gateway_command()
        .args(["validate", "--schema", "/no/such/schema.xsd"])
        .output()
        .expect("run");
    assert_eq!(not_compiling.status.code(), Some(2));
    let wrong_call = gateway_command().args(["validate"]).output().expect("run");
    assert_eq!(wrong_call.status.code(), Some(2));
    let compile_only = gateway_command()
        .args(["validate", "--schema"])
        .arg(&schema)
        .output()
        .expect("run");
    assert_eq!(compile_only.status.code(), Some(0));
}
