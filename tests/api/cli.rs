//! The CI gate: `schemata compat` offline, `check` and `register` against a live registry. Runs the
//! real binary and checks exit codes and output.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{record, TestApp};

fn schemata(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn files(entries: &[(&str, String)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (name, text) in entries {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn v1() -> String {
    record("R", &[("a", json!("int"))])
}

fn v2_breaking() -> String {
    record("R", &[("a", json!("string")), ("b", json!("long"))])
}

#[test]
fn compat_exits_0_for_a_compatible_schema() {
    let dir = files(&[
        ("v1.avsc", v1()),
        ("v2.avsc", record("R", &[("a", json!("long"))])),
    ]);
    let out = schemata(
        &["compat", "--level", "FULL_TRANSITIVE", "v1.avsc", "v1.avsc"],
        dir.path(),
    );
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "v1.avsc: compatible (FULL_TRANSITIVE)\n")
    );
    let out = schemata(&["compat", "v1.avsc", "v2.avsc"], dir.path());
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "v2.avsc: compatible (BACKWARD)\n")
    );
}

#[test]
fn compat_exits_1_and_lists_every_change_in_each_format() {
    let dir = files(&[("v1.avsc", v1()), ("v2.avsc", v2_breaking())]);
    let out = schemata(&["compat", "v1.avsc", "v2.avsc"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "v2.avsc: incompatible with v1.avsc (BACKWARD), 2 change(s):\n\
         \x20 TYPE_MISMATCH at /fields/0/type: {errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}\n\
         \x20 READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}\n"
    );
    let out = schemata(
        &["compat", "--format", "json", "v1.avsc", "v2.avsc"],
        dir.path(),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["compatible"], false);
    assert_eq!(report["against"], "v1.avsc");
    assert_eq!(
        report["changes"][1]["rule"],
        "READER_FIELD_MISSING_DEFAULT_VALUE"
    );
    assert_eq!(report["changes"][1]["path"], "/fields/1");
    let out = schemata(
        &["compat", "--format", "github", "v1.avsc", "v2.avsc"],
        dir.path(),
    );
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0]
            .starts_with("::error file=v2.avsc,title=TYPE_MISMATCH::/fields/0/type: {errorType"),
        "{}",
        lines[0]
    );
}

#[test]
fn compat_checks_transitively_against_every_earlier_file() {
    let v0 = record("R", &[("a", json!("int")), ("c", json!("int"))]);
    let new = record("R", &[("a", json!("int")), ("c", json!("int"))]);
    // v1 dropped `c`; the new schema needs `c` back: fine against v0, not readable from v1 data.
    let dir = files(&[("v0.avsc", v0), ("v1.avsc", v1()), ("new.avsc", new)]);
    let out = schemata(
        &[
            "compat",
            "--level",
            "BACKWARD_TRANSITIVE",
            "v0.avsc",
            "v1.avsc",
            "new.avsc",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("new.avsc: incompatible with v1.avsc (BACKWARD_TRANSITIVE)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn compat_resolves_references_given_as_files() {
    let address = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
    let person = r#"{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"home","type":"Address"}]}"#;
    let dir = files(&[
        ("address.avsc", address.into()),
        ("person.avsc", person.into()),
    ]);
    let out = schemata(
        &[
            "compat",
            "--reference",
            "acme.Address=address.avsc",
            "person.avsc",
            "person.avsc",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compat_exits_2_for_invalid_input() {
    let dir = files(&[
        ("v1.avsc", v1()),
        ("bad.avsc", "{\"type\": \"nope\"}".into()),
    ]);
    let out = schemata(&["compat", "v1.avsc", "bad.avsc"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: bad.avsc: Type not supported: nope\n"
    );
    let out = schemata(&["compat", "v1.avsc", "missing.avsc"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = schemata(
        &["compat", "--level", "SIDEWAYS", "v1.avsc", "v1.avsc"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn check_and_register_ask_a_running_registry() {
    let app = TestApp::spawn().await;
    app.register_ok("orders-value", &v1()).await;
    let dir = files(&[
        ("ok.avsc", record("R", &[("a", json!("long"))])),
        ("bad.avsc", v2_breaking()),
    ]);
    let base = app.base.clone();
    let path = dir.path().to_path_buf();
    let run = move |args: Vec<String>| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            schemata(&args, &path)
        })
    };
    let args = |cmd: &str, file: &str| -> Vec<String> {
        [cmd, "--url", &base, "--subject", "orders-value", file]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let out = run(args("check", "bad.avsc")).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("bad.avsc: incompatible with orders-value version 1 (BACKWARD), 2 change(s):\n  TYPE_MISMATCH at /fields/0/type: "),
        "{}",
        stdout(&out)
    );
    let out = run(args("register", "bad.avsc")).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        app.get("/subjects/orders-value/versions").await.body,
        json!([1])
    );
    let out = run(args("check", "ok.avsc")).await.unwrap();
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "ok.avsc: compatible (BACKWARD)\n")
    );
    let out = run(args("register", "ok.avsc")).await.unwrap();
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (
            Some(0),
            "registered under orders-value with id 2\nok.avsc: compatible (BACKWARD)\n"
        )
    );
    assert_eq!(
        app.get("/subjects/orders-value/versions").await.body,
        json!([1, 2])
    );
}

#[test]
fn compat_checks_json_schema_under_either_policy() {
    let dir = files(&[
        (
            "v1.json",
            r#"{"type":"object","properties":{"a":{"type":"string"}}}"#.to_string(),
        ),
        (
            "v2.json",
            r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#
                .to_string(),
        ),
    ]);
    let out = schemata(
        &["compat", "--type", "json", "v1.json", "v2.json"],
        dir.path(),
    );
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (
            Some(1),
            "v2.json: incompatible with v1.json (BACKWARD), 1 change(s):\n\
             \x20 OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #/properties/b: {errorType:\"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\", description:\"The new schema has an open content model and has a property or item at path '#/properties/b' which is missing in the old schema'}\n"
        )
    );
    let out = schemata(
        &[
            "compat", "--type", "json", "--policy", "lenient", "v1.json", "v2.json",
        ],
        dir.path(),
    );
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "v2.json: compatible (BACKWARD)\n")
    );
}
