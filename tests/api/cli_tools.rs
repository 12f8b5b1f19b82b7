//! The commands on par with Confluent's Maven plugin: `validate` and `diff` offline,
//! `download`, `set-config` and `set-mode` against a running registry.

use std::process::Output;

use serde_json::json;
use tempfile::TempDir;

use crate::helpers::{outcome, record, schemata_cli, TestApp};

async fn schemata(args: &[&str], dir: &std::path::Path) -> Output {
    schemata_cli(args, Some(dir)).await
}

fn files(entries: &[(&str, String)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (name, text) in entries {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn validate_parses_each_file_and_names_the_one_that_fails() {
    let dir = files(&[
        ("v1.avsc", record("R", &[("a", json!("int"))])),
        (
            "bad.avsc",
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[".into(),
        ),
        (
            "m.proto",
            "syntax = \"proto3\";\nmessage M { string id = 1; }\n".into(),
        ),
        (
            "missing.proto",
            "syntax = \"proto3\";\nimport \"other.proto\";\nmessage M { Other o = 1; }\n".into(),
        ),
    ]);
    assert_eq!(
        outcome(&schemata(&["validate", "v1.avsc"], dir.path()).await),
        (Some(0), "v1.avsc: valid\n".into(), String::new())
    );
    assert_eq!(
        outcome(&schemata(&["validate", "v1.avsc", "bad.avsc"], dir.path()).await),
        (
            Some(2),
            "v1.avsc: valid\n".into(),
            "error: bad.avsc: Invalid JSON: EOF while parsing a list at line 1 column 38\n".into()
        )
    );
    assert_eq!(
        outcome(&schemata(&["validate", "--type", "protobuf", "m.proto"], dir.path()).await),
        (Some(0), "m.proto: valid\n".into(), String::new())
    );
    let (code, stdout, _) = outcome(
        &schemata(
            &["validate", "--type", "protobuf", "missing.proto"],
            dir.path(),
        )
        .await,
    );
    assert_eq!((code, stdout), (Some(2), String::new()));
}

#[tokio::test]
async fn diff_prints_the_diff_endpoint_s_json_for_two_files() {
    let dir = files(&[
        ("v1.avsc", record("R", &[("a", json!("int"))])),
        (
            "v2.avsc",
            json!({"type": "record", "name": "R", "fields": [
                {"name": "a", "type": "long"}, {"name": "b", "type": "string", "default": "x"}]})
            .to_string(),
        ),
    ]);
    let (code, stdout, stderr) =
        outcome(&schemata(&["diff", "v1.avsc", "v2.avsc"], dir.path()).await);
    assert_eq!((code, stderr), (Some(0), String::new()));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap(),
        json!({
            "from": "v1.avsc",
            "to": "v2.avsc",
            "schemaType": "AVRO",
            "backward_compatible": true,
            "forward_compatible": false,
            "changes": [
                {"rule": "TYPE_PROMOTED", "path": "/fields/0/type", "description": "type changed from int to long",
                 "backward_compatible": true, "forward_compatible": false},
                {"rule": "FIELD_ADDED", "path": "/fields/1", "description": "field b added, with a default",
                 "backward_compatible": true, "forward_compatible": true}
            ]
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_config_set_mode_and_download_against_a_registry() {
    let app = TestApp::spawn().await;
    let dir = TempDir::new().unwrap();
    let url = app.base.as_str();
    assert_eq!(
        outcome(&schemata(&["set-config", "--url", url, "NONE"], dir.path()).await),
        (
            Some(0),
            "compatibility of the registry set to NONE\n".into(),
            String::new()
        )
    );
    assert_eq!(
        outcome(
            &schemata(
                &[
                    "set-config",
                    "--url",
                    url,
                    "--subject",
                    "orders-value",
                    "FULL"
                ],
                dir.path()
            )
            .await
        ),
        (
            Some(0),
            "compatibility of orders-value set to FULL\n".into(),
            String::new()
        )
    );
    assert_eq!(
        app.get("/config").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        app.get("/config/orders-value").await.body,
        json!({"compatibilityLevel": "FULL"})
    );

    let customer = record("Customer", &[("id", json!("long"))]);
    app.register_ok("customer", &customer).await;
    app.register_ok("customer", &record("Customer", &[("id", json!("string"))]))
        .await;
    let order = record("Order", &[("customer", json!("Customer"))]);
    let r = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": order, "references": [{"name": "Customer", "subject": "customer", "version": 1}]}),
        )
        .await;
    assert_eq!(r.body, json!({"id": 3}));
    app.post(
        "/subjects/payments-value/versions",
        json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage P { string id = 1; }\n"}),
    )
    .await;
    app.register_ok("other", "\"int\"").await;

    let out = schemata(
        &[
            "download",
            "--url",
            url,
            "--subject",
            "*-value",
            "--out",
            "schemas",
        ],
        dir.path(),
    )
    .await;
    let schemas = dir.path().join("schemas");
    assert_eq!(
        outcome(&out),
        (
            Some(0),
            "orders-value version 1 (id 3) -> schemas/orders-value.avsc\n\
                 payments-value version 1 (id 4) -> schemas/payments-value.proto\n\
                 customer version 1 (id 1) -> schemas/customer-v1.avsc\n"
                .to_string(),
            String::new()
        )
    );
    assert_eq!(
        std::fs::read_to_string(schemas.join("orders-value.avsc")).unwrap(),
        order
    );
    assert_eq!(
        std::fs::read_to_string(schemas.join("customer-v1.avsc")).unwrap(),
        customer
    );
    let out = schemata(
        &[
            "download",
            "--url",
            url,
            "--subject",
            "cust*",
            "--all-versions",
            "--out",
            "all",
        ],
        dir.path(),
    )
    .await;
    let all = dir.path().join("all");
    assert_eq!(std::fs::read_dir(&all).unwrap().count(), 2);
    assert_eq!(
        outcome(&out),
        (
            Some(0),
            "customer version 1 (id 1) -> all/customer-v1.avsc\n\
                 customer version 2 (id 2) -> all/customer-v2.avsc\n"
                .to_string(),
            String::new()
        )
    );
    assert_eq!(
        outcome(
            &schemata(
                &["download", "--url", url, "--subject", "nope*", "--out", "x"],
                dir.path()
            )
            .await
        ),
        (
            Some(2),
            String::new(),
            "error: no subject matches nope*\n".into()
        )
    );

    assert_eq!(
        outcome(
            &schemata(
                &["set-mode", "--url", url, "--subject", "other", "readonly"],
                dir.path()
            )
            .await
        ),
        (
            Some(0),
            "mode of other set to READONLY\n".into(),
            String::new()
        )
    );
    assert_eq!(
        app.get("/mode/other").await.body,
        json!({"mode": "READONLY"})
    );
    assert_eq!(
        outcome(&schemata(&["set-mode", "--url", url, "IMPORT"], dir.path()).await),
        (
            Some(2),
            String::new(),
            format!("error: PUT {url}/mode: the registry answered 422: {{\"error_code\":42205,\"message\":\"Cannot import since found existing subjects\"}}\n")
        )
    );
    assert_eq!(
        outcome(&schemata(&["set-mode", "--url", url, "--force", "IMPORT"], dir.path()).await),
        (
            Some(0),
            "mode of the registry set to IMPORT\n".into(),
            String::new()
        )
    );
    assert_eq!(app.get("/mode").await.body, json!({"mode": "IMPORT"}));
}
