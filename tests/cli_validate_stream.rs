//! `xoev-gateway validate` streams its input: a file, or standard input for `-`, with the same
//! report either way; a file that cannot be read is exit code 2.

mod support;

use std::io::Write;
use std::process::Stdio;

use support::*;

#[test]
fn validate_reads_standard_input_for_dash() {
    let schema = repo_path("schemas/example/xoev-gateway-example.xsd");
    let file = repo_path("fixtures/invalid/invalid-postleitzahl.xml");
    let from_file = gateway_command()
        .args(["validate", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(from_file.status.code(), Some(1));

    let mut child = gateway_command()
        .args(["validate", "--schema"])
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run");
    let bytes = std::fs::read(&file).expect("fixture");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&bytes).expect("write stdin");
    }
    let from_stdin = child.wait_with_output().expect("run");
    assert_eq!(from_stdin.status.code(), Some(1));
    // The same problems, only the name differs.
    let shown = file.display().to_string();
    assert_eq!(
        String::from_utf8_lossy(&from_stdin.stdout),
        String::from_utf8_lossy(&from_file.stdout).replace(&shown, "-")
    );
    assert!(String::from_utf8_lossy(&from_stdin.stdout).contains("cvc-pattern-valid"));
}

#[test]
fn validate_exits_2_for_an_unreadable_file() {
    let schema = repo_path("schemas/example/xoev-gateway-example.xsd");
    let out = gateway_command()
        .args(["validate", "--schema"])
        .arg(&schema)
        .arg("/no/such/message.xml")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
