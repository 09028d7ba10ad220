//! The operators' commands: `check`, `hash-token`, `--version`.

mod support;

use support::*;

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
fn check_compiles_mappings_against_the_route_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("broken-mapping.toml"),
        r#"
[source]
root = { namespace = "urn:xoev-gateway:example:1", name = "bauantrag.antrag.0200" }
[output]
format = "json"
[[field]]
name = "familyName"
path = "antragsteller/familienname"
[[field]]
name = "missing"
path = "antragsteller/nichtda"
[[field]]
name = "undeclared"
path = "vorhaben/art/@gibtsnicht"
[[field]]
name = "costDate"
expr = "format-date(vorhaben/baukosten, '%d.%m.%Y')"
"#,
    )
    .expect("write mapping");
    let config = dir.path().join("gateway.toml");
    let schema = repo_path("schemas/example/xoev-gateway-example.xsd");
    std::fs::write(
        &config,
        format!(
            r#"
[[listener]]
address = "127.0.0.1:0"
[store]
kind = "sqlite"
path = "s.sqlite"
[[schema_set]]
name = "example"
entry_files = [{schema:?}]
[[route]]
name = "bauantrag"
root_namespace = "urn:xoev-gateway:example:1"
root_name = "bauantrag.antrag.*"
schema_set = "example"
destinations = [{{ destination = "outbox", mapping = "broken" }}]
[[mapping]]
name = "broken"
kind = "declarative"
file = "broken-mapping.toml"
[[destination]]
kind = "directory"
name = "outbox"
path = "outbox"
"#
        ),
    )
    .expect("write config");
    let output = gateway_command()
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .expect("run check");
    let report = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{report}");
    for expected in [
        r#"route "bauantrag" mapping "broken": field `missing`: path "antragsteller/nichtda" can never match the schema: step 2 finds no element"#,
        r#"route "bauantrag" mapping "broken": field `undeclared`: path "vorhaben/art/@gibtsnicht" can never match the schema: no attribute gibtsnicht there"#,
        r#"route "bauantrag" mapping "broken": field `costDate`: format-date cannot take "vorhaben/baukosten", whose schema type is Decimal"#,
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} missing in:\n{report}"
        );
    }
    assert!(!report.contains("familyName"), "{report}");
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

#[test]
fn validate_uses_the_compiled_schema_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("main.xsd");
    let types = dir.path().join("types.xsd");
    std::fs::write(
        &schema,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:include schemaLocation="types.xsd"/>
  <xs:element name="code" type="Code"/>
</xs:schema>"#,
    )
    .expect("write schema");
    let code_type = |pattern: &str| {
        format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:simpleType name="Code"><xs:restriction base="xs:string">
    <xs:pattern value="{pattern}"/></xs:restriction></xs:simpleType>
</xs:schema>"#
        )
    };
    std::fs::write(&types, code_type("[A-Z]+")).expect("write types");
    let document = dir.path().join("doc.xml");
    std::fs::write(&document, "<code>ABC</code>").expect("write document");
    let cache = dir.path().join("cache");
    let run = |extra: &[&str], xdg: Option<&std::path::Path>| {
        let mut command = gateway_command();
        command
            .arg("validate")
            .args(extra)
            .arg("--schema")
            .arg(&schema);
        if let Some(xdg) = xdg {
            command.env("XDG_CACHE_HOME", xdg);
        }
        command.arg("--json").arg(&document).output().expect("run")
    };
    let entries = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default()
    };
    let cache_dir = cache.to_str().expect("utf-8 path");

    let first = run(&["--cache-dir", cache_dir], None);
    assert_eq!(first.status.code(), Some(0));
    let written = entries(&cache);
    assert_eq!(written.len(), 1, "{written:?}");
    let second = run(&["--cache-dir", cache_dir], None);
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(first.stdout, second.stdout);

    // An included schema changes: the cached set is not used.
    std::fs::write(&types, code_type("[a-z]+")).expect("write types");
    let changed = run(&["--cache-dir", cache_dir], None);
    assert_eq!(changed.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&changed.stdout).expect("JSON");
    assert_eq!(report["problems"][0]["rule"], "cvc-pattern-valid");
    let cached = run(&["--cache-dir", cache_dir], None);
    assert_eq!(cached.stdout, changed.stdout);

    // A damaged entry is compiled again and replaced.
    std::fs::write(&written[0], b"garbage").expect("damage the entry");
    let repaired = run(&["--cache-dir", cache_dir], None);
    assert_eq!(repaired.stdout, changed.stdout);
    assert_ne!(std::fs::read(&written[0]).expect("entry"), b"garbage");

    // The default directory follows XDG_CACHE_HOME; --no-cache neither reads nor writes.
    let xdg = dir.path().join("xdg");
    assert_eq!(run(&["--no-cache"], Some(&xdg)).stdout, changed.stdout);
    assert!(!xdg.exists());
    assert_eq!(run(&[], Some(&xdg)).stdout, changed.stdout);
    assert_eq!(entries(&xdg.join("xoev-gateway/schemas")).len(), 1);

    // An unusable cache directory only warns.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, b"a file").expect("write file");
    let warned = run(&["--cache-dir", blocked.to_str().expect("utf-8")], None);
    assert_eq!(warned.status.code(), Some(1));
    assert_eq!(warned.stdout, changed.stdout);
    assert!(String::from_utf8_lossy(&warned.stderr).contains("warning: cannot write schema cache"));
}

#[test]
fn test_mappings_runs_the_golden_cases() {
    let output = gateway_command()
        .arg("test-mappings")
        .arg(repo_path("tests/mapping_golden"))
        .output()
        .expect("run");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("9 of 9 cases passed"), "{report}");
}

#[test]
fn map_validates_then_prints_the_mapped_document() {
    let output = gateway_command()
        .args(["map", "--mapping"])
        .arg(repo_path("mappings/bauantrag-bausoftware.toml"))
        .arg("--schema")
        .arg(repo_path("schemas/example/xoev-gateway-example.xsd"))
        .arg(repo_path("fixtures/valid/bauantrag-minimal.xml"))
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["messageId"], "0b6f2c1e-3a44-4d5c-9a0e-6f1d2b3c4d5e");

    let invalid = gateway_command()
        .args(["map", "--mapping"])
        .arg(repo_path("mappings/bauantrag-bausoftware.toml"))
        .arg("--schema")
        .arg(repo_path("schemas/example/xoev-gateway-example.xsd"))
        .arg(repo_path("fixtures/invalid/invalid-postleitzahl.xml"))
        .output()
        .expect("run");
    assert_eq!(invalid.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("cvc-pattern-valid"));
}

#[test]
fn sample_writes_a_valid_instance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = repo_path("schemas/example/xoev-gateway-example.xsd");
    let output = gateway_command()
        .args([
            "sample",
            "--all-optional",
            "--root",
            "gewerbe.anzeige.0100",
            "--schema",
        ])
        .arg(&schema)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sample = dir.path().join("sample.xml");
    std::fs::write(&sample, &output.stdout).expect("write");
    let check = gateway_command()
        .args(["validate", "--schema"])
        .arg(&schema)
        .arg(&sample)
        .output()
        .expect("run");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let unknown = gateway_command()
        .args(["sample", "--root", "nothing.here", "--schema"])
        .arg(&schema)
        .output()
        .expect("run");
    assert_eq!(unknown.status.code(), Some(2));
}
