//! Moving schemas (issue 18): `schemata export` and `schemata import`, run as the real binary
//! against stores and in-process registries.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use schemata::http::ApiFormat;
use serde_json::{json, Value};
use tempfile::TempDir;

use schemata::app::Options;
use schemata::replication::follower::Follow;
use schemata::replication::remote::{Credentials, Remote};

use crate::helpers::{assert_error, outcome, record, schemata_cli, TestApp};
use crate::pg::TestDb;

use crate::fixture::FIXTURE;

async fn schemata(args: &[&str]) -> Output {
    schemata_cli(args, None).await
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// `ts` (the time of each write) replaced, so dumps of live registries compare.
fn without_ts(dump: &str) -> String {
    let mut out = String::new();
    let mut rest = dump;
    while let Some(at) = rest.find(",\"ts\":") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 6..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - at - 6);
        out.push_str(",\"ts\":T");
        rest = &rest[at + 6 + digits..];
    }
    out.push_str(rest);
    out
}

/// Exports a storage, asserting success.
async fn export(storage: &str) -> String {
    let out = schemata(&["export", "--storage", storage]).await;
    let (code, stdout, stderr) = outcome(&out);
    let lines = stdout.lines().count();
    assert_eq!(
        (code, stderr),
        (Some(0), format!("exported {lines} records\n")),
        "{stdout}"
    );
    stdout
}

/// The fixture's records after the import, compacted, in the Confluent key spelling.
const FIXTURE_EXPORTED: &str = r#"{"keytype":"SCHEMA","subject":"customer","version":1,"magic":1}	{"subject":"customer","version":1,"id":1,"schemaType":"AVRO","schema":"{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}","deleted":false}
{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}	{"subject":"orders-value","version":1,"id":2,"schemaType":"AVRO","references":[{"name":"shop.Customer","subject":"customer","version":1}],"schema":"{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"customer\",\"type\":\"shop.Customer\"}]}","deleted":false}
{"keytype":"SCHEMA","subject":"payments-value","version":1,"magic":1}	{"subject":"payments-value","version":1,"id":3,"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n}\n","deleted":false}
{"keytype":"SCHEMA","subject":"payments-value","version":2,"magic":1}	{"subject":"payments-value","version":2,"id":4,"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n  int64 cents = 2;\n}\n","deleted":true}
{"keytype":"CONFIG","subject":"payments-value","magic":0}	null
{"keytype":"DELETE_SUBJECT","subject":"legacy","magic":0}	{"subject":"legacy","version":1}
{"keytype":"SCHEMA","subject":"legacy","version":1,"magic":1}	null
{"keytype":"SCHEMA","subject":"staging","version":1,"magic":1}	{"subject":"staging","version":1,"id":6,"schemaType":"JSON","schema":"{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}","deleted":false}
{"keytype":"DELETE_SUBJECT","subject":"staging","magic":0}	{"subject":"staging","version":1}
{"keytype":"CLEAR_SUBJECT","subject":"staging","magic":0}	{"subject":"staging"}
{"keytype":"CONFIG","subject":"orders-value","magic":0}	{"subject":"orders-value","compatibilityLevel":"FULL","normalize":true}
{"keytype":"MODE","subject":"customer","magic":0}	{"subject":"customer","mode":"READONLY"}
{"keytype":"MODE","magic":0}	{"mode":"READWRITE"}
{"keytype":"CONFIG","magic":0}	{"compatibilityLevel":"FULL_TRANSITIVE"}
"#;

fn fixture_summary(storage: &str) -> String {
    format!(
        "imported 19 records into {storage}: SCHEMA 9 (2 soft-deleted, 1 hard-deleted), DELETE_SUBJECT 2, CLEAR_SUBJECT 1, CONFIG 5, MODE 2\n\
         skipped 4 records: CONTEXT 1, DELETE_SUBJECT tombstone 1, NOOP 2\n\
         value fields not kept: md5 4\n\
         it now holds 3 subjects (0 soft-deleted), 4 schemas, highest id 6\n"
    )
}

/// The fixture as `kcat -C -K:` prints it (a tombstone's value empty), and as `kcat -J` does.
fn kcat_shapes() -> [String; 2] {
    let mut colon = String::new();
    let mut json_lines = String::new();
    for line in FIXTURE.lines() {
        let (key, value) = line.split_once('\t').unwrap();
        let value = (value != "null").then_some(value);
        colon.push_str(&format!("{key}:{}\n", value.unwrap_or("")));
        json_lines.push_str(
            &json!({"topic": "_schemas", "partition": 0, "offset": 1, "tstype": "create",
                    "ts": 1700000000000u64, "key": key, "payload": value})
            .to_string(),
        );
        json_lines.push('\n');
    }
    [colon, json_lines]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confluent_dump_imports_to_golden_answers_and_exports_back() {
    let dir = Arc::new(TempDir::new().unwrap());
    let storage = file_url(dir.path());
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/confluent-schemas.txt");
    let out = schemata(&["import", "--storage", &storage, fixture.to_str().unwrap()]).await;
    assert_eq!(
        outcome(&out),
        (Some(0), fixture_summary(&storage), String::new())
    );
    assert_eq!(export(&storage).await, FIXTURE_EXPORTED);

    // The same records as kcat prints them import the same way.
    for shape in kcat_shapes() {
        let other = TempDir::new().unwrap();
        let path = other.path().join("dump");
        std::fs::write(&path, shape).unwrap();
        let target = file_url(&other.path().join("data"));
        let out = schemata(&["import", "--storage", &target, path.to_str().unwrap()]).await;
        assert_eq!(
            outcome(&out),
            (Some(0), fixture_summary(&target), String::new())
        );
        assert_eq!(export(&target).await, FIXTURE_EXPORTED);
    }

    let app = TestApp::start(dir, ApiFormat::V7, 4 * 1024 * 1024).await;
    crate::fixture::serves_the_fixture(&app).await;
    // Ids go on after the highest one the dump held, hard-deleted ones included.
    assert_eq!(app.register_ok("fresh", "\"int\"").await, 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dump_that_cannot_be_imported_is_refused_with_its_line() {
    let dir = TempDir::new().unwrap();
    let storage = file_url(&dir.path().join("data"));
    let dump = dir.path().join("dump");
    let bad = [
        (
            "{\"keytype\":\"NOOP\",\"magic\":0}\tnull\n{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"magic\":1}\t{}\n",
            "2: SCHEMA key without version",
        ),
        (
            "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}\t{\"subject\":\"s\",\"version\":1,\"id\":1,\"schemaType\":\"XML\",\"schema\":\"<a/>\"}\n",
            "1: corrupt store: schema 1 has unknown type XML",
        ),
        (
            "Processed a total of 3 messages\n",
            "1: not a key or a JSON line: expected value at line 1 column 1",
        ),
        (
            "{\"keytype\":\"CONFIG\",\"magic\":0}\t{\"compatibilityLevel\":\"SIDEWAYS\"}\n",
            "1: bad value: unknown value 'SIDEWAYS' at line 1 column 33",
        ),
    ];
    for (text, error) in bad {
        std::fs::write(&dump, text).unwrap();
        let out = schemata(&["import", "--storage", &storage, dump.to_str().unwrap()]).await;
        assert_eq!(
            outcome(&out),
            (
                Some(2),
                String::new(),
                format!("error: {}:{error}\n", dump.display())
            )
        );
    }
    // Nothing was written by the refused imports.
    std::fs::write(&dump, FIXTURE).unwrap();
    let out = schemata(&["import", "--storage", &storage, dump.to_str().unwrap()]).await;
    assert_eq!(outcome(&out).0, Some(0));
    // A storage holding records is refused without --force.
    let out = schemata(&["import", "--storage", &storage, dump.to_str().unwrap()]).await;
    assert_eq!(
        outcome(&out),
        (
            Some(2),
            String::new(),
            format!("error: {storage} already holds 14 records; --force imports on top of them\n")
        )
    );
    let out = schemata(&[
        "import",
        dump.to_str().unwrap(),
        "--url",
        "http://127.0.0.1:9",
    ])
    .await;
    assert_eq!(
        outcome(&out),
        (
            Some(2),
            String::new(),
            "error: a dump is imported into a storage (--storage URL); --url takes --from-url\n"
                .into()
        )
    );
    let out = schemata(&["export", "--storage", "file:///nonexistent/schemata"]).await;
    assert_eq!(
        outcome(&out),
        (
            Some(2),
            String::new(),
            "error: no Schemata log in /nonexistent/schemata\n".into()
        )
    );
}

/// A registry with every kind of record: references, soft and hard deletes, a deleted
/// subject, configs, modes, and versions imported with their own ids.
async fn populate(app: &TestApp) {
    let customer = record("Customer", &[("id", json!("long"))]);
    assert_eq!(app.register_ok("customer", &customer).await, 1);
    let order = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": record("Order", &[("customer", json!("Customer"))]),
                   "references": [{"name": "Customer", "subject": "customer", "version": 1}]}),
        )
        .await;
    assert_eq!(order.body, json!({"id": 2}));
    app.put("/config/orders-value", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(app.register_ok("orders-value", "\"string\"").await, 3);
    assert_eq!(app.register_ok("orders-value", "\"long\"").await, 4);
    assert_eq!(
        app.delete("/subjects/orders-value/versions/2").await.body,
        json!(2)
    );
    assert_eq!(app.register_ok("gone", "\"boolean\"").await, 5);
    assert_eq!(app.delete("/subjects/gone").await.body, json!([1]));
    assert_eq!(
        app.delete("/subjects/gone?permanent=true").await.body,
        json!([1])
    );
    assert_eq!(app.register_ok("retired", "\"float\"").await, 6);
    assert_eq!(app.delete("/subjects/retired").await.body, json!([1]));
    app.put("/mode/imported", json!({"mode": "IMPORT"})).await;
    let r = app
        .post(
            "/subjects/imported/versions",
            json!({"schema": "\"double\"", "id": 100, "version": 7}),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 100})));
    app.put("/mode/imported", json!({"mode": "READONLY"})).await;
    app.put("/config", json!({"compatibility": "FULL"})).await;
}

/// What a registry answers about everything `populate` made.
async fn answers(app: &TestApp) -> Vec<(String, u16, Value)> {
    let mut paths: Vec<String> = [
        "/subjects",
        "/subjects?deleted=true",
        "/config",
        "/mode",
        "/schemas?deleted=true",
        "/schemas/ids/5",
        "/subjects/gone/versions?deleted=true",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for s in ["customer", "orders-value", "retired", "imported"] {
        paths.push(format!("/subjects/{s}/versions"));
        paths.push(format!("/subjects/{s}/versions?deleted=true"));
        paths.push(format!("/config/{s}"));
        paths.push(format!("/mode/{s}"));
        for v in 1..=7 {
            paths.push(format!("/subjects/{s}/versions/{v}?deleted=true"));
        }
    }
    for id in [1, 2, 3, 4, 6, 100] {
        paths.push(format!("/schemas/ids/{id}"));
        paths.push(format!("/schemas/ids/{id}/versions?deleted=true"));
    }
    let mut out = Vec::new();
    for p in paths {
        let r = app.get(&p).await;
        out.push((p, r.status, r.body));
    }
    out
}

/// The dump of what `populate` made, `ts` replaced.
const POPULATED: &str = r#"{"keytype":"SCHEMA","subject":"customer","version":1,"magic":1}	{"subject":"customer","version":1,"id":1,"schemaType":"AVRO","schema":"{\"type\":\"record\",\"name\":\"Customer\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}","deleted":false,"ts":T}
{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}	{"subject":"orders-value","version":1,"id":2,"schemaType":"AVRO","references":[{"name":"Customer","subject":"customer","version":1}],"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"customer\",\"type\":\"Customer\"}]}","deleted":false,"ts":T}
{"keytype":"CONFIG","subject":"orders-value","magic":0}	{"subject":"orders-value","compatibilityLevel":"NONE"}
{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}	{"subject":"orders-value","version":3,"id":4,"schemaType":"AVRO","schema":"\"long\"","deleted":false,"ts":T}
{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}	{"subject":"orders-value","version":2,"id":3,"schemaType":"AVRO","schema":"\"string\"","deleted":true,"ts":T}
{"keytype":"DELETE_SUBJECT","subject":"gone","magic":0}	{"subject":"gone","version":1}
{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}	null
{"keytype":"SCHEMA","subject":"retired","version":1,"magic":1}	{"subject":"retired","version":1,"id":6,"schemaType":"AVRO","schema":"\"float\"","deleted":false,"ts":T}
{"keytype":"DELETE_SUBJECT","subject":"retired","magic":0}	{"subject":"retired","version":1}
{"keytype":"SCHEMA","subject":"imported","version":7,"magic":1}	{"subject":"imported","version":7,"id":100,"schemaType":"AVRO","schema":"\"double\"","deleted":false,"ts":T}
{"keytype":"MODE","subject":"imported","magic":0}	{"subject":"imported","mode":"READONLY"}
{"keytype":"CONFIG","magic":0}	{"compatibilityLevel":"FULL"}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn export_then_import_gives_the_same_records_and_state_on_the_log_and_on_postgres() {
    let source_dir = Arc::new(TempDir::new().unwrap());
    let mut source = TestApp::start(source_dir.clone(), ApiFormat::V7, 4 * 1024 * 1024).await;
    populate(&source).await;
    let expected = answers(&source).await;
    source.stop().await;
    let source_url = file_url(source_dir.path());
    let dump = export(&source_url).await;
    assert_eq!(without_ts(&dump), POPULATED);
    let legacy =
        outcome(&schemata(&["export", "--storage", &source_url, "--key-format", "legacy"]).await).1;
    assert_eq!(
        legacy,
        dump.replace(
            "{\"keytype\":\"CONFIG\",\"magic\":0}",
            "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}"
        )
    );

    let work = TempDir::new().unwrap();
    let file = work.path().join("dump");
    std::fs::write(&file, &dump).unwrap();
    let db = TestDb::create().await;
    let mut targets = vec![file_url(&work.path().join("log"))];
    targets.extend(db.as_ref().map(|db| db.url.clone()));
    for target in targets {
        let out = schemata(&["import", "--storage", &target, file.to_str().unwrap()]).await;
        assert_eq!(
            outcome(&out),
            (
                Some(0),
                format!(
                    "imported 12 records into {target}: SCHEMA 7 (1 soft-deleted, 1 hard-deleted), DELETE_SUBJECT 2, CONFIG 2, MODE 1\n\
                     it now holds 4 subjects (1 soft-deleted), 6 schemas, highest id 100\n"
                ),
                String::new()
            )
        );
        assert_eq!(export(&target).await, dump, "{target}");
        let mut app = TestApp::on(&target, ApiFormat::V7, 4 * 1024 * 1024).await;
        assert_eq!(answers(&app).await, expected, "{target}");
        app.stop().await;
    }
}

/// What `populate` leaves, as a registry's API reads it.
fn populated_read(source: &str) -> String {
    format!("read from {source}: 4 subjects, 6 versions (2 soft-deleted), 2 configs, 2 modes\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn import_from_url_copies_a_running_registry_into_another_and_again_only_what_is_new() {
    let source = TestApp::spawn().await;
    populate(&source).await;
    let target = TestApp::spawn().await;
    let copy = |force: bool| {
        let mut args = vec!["import", "--from-url", &source.base, "--url", &target.base];
        if force {
            args.push("--force");
        }
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            outcome(&schemata(&args).await)
        }
    };
    assert_eq!(
        copy(false).await,
        (
            Some(0),
            format!(
                "{}copied into {}: 6 versions, 2 soft deletes, 2 configs, 1 modes; already there: 0 versions, 0 soft deletes, 0 configs, 1 modes\n",
                populated_read(&source.base),
                target.base
            ),
            String::new()
        )
    );
    let expected = answers(&source).await;
    assert_eq!(answers(&target).await, expected);

    // The target holds subjects now: entering IMPORT mode again needs --force.
    assert_eq!(
        copy(false).await,
        (
            Some(2),
            String::new(),
            format!(
                "error: {} refused IMPORT mode: 422 {{\"error_code\":42205,\"message\":\"Cannot import since found existing subjects\"}} (--force imports into a registry that holds subjects)\n",
                target.base
            )
        )
    );
    assert_eq!(
        copy(true).await,
        (
            Some(0),
            format!(
                "{}copied into {}: 0 versions, 0 soft deletes, 0 configs, 0 modes; already there: 6 versions, 2 soft deletes, 2 configs, 2 modes\n",
                populated_read(&source.base),
                target.base
            ),
            String::new()
        )
    );
    assert_eq!(app_mode(&target).await, json!({"mode": "READWRITE"}));

    // Something new on the source, and a version the target holds with another id.
    assert_eq!(source.register_ok("orders-value", "\"bytes\"").await, 101);
    assert_eq!(source.register_ok("orders-value", "\"int\"").await, 102);
    target
        .put("/mode/orders-value?force=true", json!({"mode": "IMPORT"}))
        .await;
    let clash = target
        .post(
            "/subjects/orders-value/versions",
            json!({"schema": "\"int\"", "id": 50, "version": 5}),
        )
        .await;
    assert_eq!((clash.status, clash.body), (200, json!({"id": 50})));
    let (code, stdout, stderr) = copy(true).await;
    assert_eq!(
        (code, stdout, stderr),
        (
            Some(1),
            format!(
                "read from {}: 4 subjects, 8 versions (2 soft-deleted), 2 configs, 2 modes\n\
                 copied into {}: 1 versions, 0 soft deletes, 0 configs, 0 modes; already there: 6 versions, 2 soft deletes, 2 configs, 2 modes\n\
                 not copied: orders-value version 5: id 50 on the target, 102 on the source\n",
                source.base, target.base
            ),
            String::new()
        )
    );
    let r = target.get("/subjects/orders-value/versions/4").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"subject": "orders-value", "version": 4, "id": 101, "schema": "\"bytes\""})
        )
    );
}

async fn app_mode(app: &TestApp) -> Value {
    app.get("/mode").await.body
}

#[tokio::test(flavor = "multi_thread")]
async fn import_from_url_into_a_storage_writes_what_export_reads() {
    let source = TestApp::spawn().await;
    populate(&source).await;
    let exported = schemata(&["export", "--url", &source.base]).await;
    let (code, dump, stderr) = outcome(&exported);
    assert_eq!(
        (code, stderr),
        (Some(0), "exported 10 records\n".to_string())
    );
    let dir = TempDir::new().unwrap();
    let db = TestDb::create().await;
    let mut targets = vec![file_url(&dir.path().join("copy"))];
    targets.extend(db.as_ref().map(|db| db.url.clone()));
    for target in targets {
        let copy = |force: bool| {
            let mut args = vec![
                "import".to_string(),
                "--from-url".into(),
                source.base.clone(),
                "--storage".into(),
                target.clone(),
            ];
            if force {
                args.push("--force".into());
            }
            async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                outcome(&schemata(&args).await)
            }
        };
        assert_eq!(
            copy(false).await,
            (
                Some(0),
                format!(
                    "{}imported 10 records into {target}: SCHEMA 6 (2 soft-deleted), CONFIG 2, MODE 2; 0 already there\n\
                     it now holds 4 subjects (1 soft-deleted), 6 schemas, highest id 100\n",
                    populated_read(&source.base)
                ),
                String::new()
            )
        );
        assert_eq!(export(&target).await, dump, "{target}");
        assert_eq!(
            copy(true).await,
            (
                Some(0),
                format!(
                    "{}imported 0 records into {target}; 10 already there\n\
                     it now holds 4 subjects (1 soft-deleted), 6 schemas, highest id 100\n",
                    populated_read(&source.base)
                ),
                String::new()
            )
        );
        let mut app = TestApp::on(&target, ApiFormat::V7, 4 * 1024 * 1024).await;
        assert_eq!(answers(&app).await, answers(&source).await, "{target}");
        app.stop().await;
    }
}

/// A registry behind a gate that wants `Authorization: <accepted>`, answering 401 as
/// Confluent does otherwise; its base URL.
async fn behind_auth(upstream: String, accepted: String) -> String {
    gate(upstream, Some(accepted), false).await
}

/// A registry behind a proxy that may want credentials, and may hide `GET /schemas` (404, as
/// registries without it answer); its base URL.
async fn gate(upstream: String, accepted: Option<String>, hide_list: bool) -> String {
    use axum::body::{to_bytes, Body};
    use axum::extract::Request;
    use axum::response::Response;

    let client = crate::helpers::http_client();
    let app = axum::Router::new().fallback(move |req: Request| {
        let (client, upstream, accepted) = (client.clone(), upstream.clone(), accepted.clone());
        async move {
            let given = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if hide_list && req.uri().path() == "/schemas" {
                return Response::builder()
                    .status(404)
                    .header("Content-Type", "application/json")
                    .body(Body::from(
                        r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#,
                    ))
                    .unwrap();
            }
            if accepted.is_some() && given != accepted.as_deref() {
                return Response::builder()
                    .status(401)
                    .header("Content-Type", "application/json")
                    .body(Body::from(r#"{"error_code":401,"message":"Unauthorized"}"#))
                    .unwrap();
            }
            let method = req.method().clone();
            let path = req.uri().path_and_query().unwrap().to_string();
            let content_type = req.headers().get("content-type").cloned();
            let body = to_bytes(req.into_body(), usize::MAX).await.unwrap();
            let mut forward = client
                .request(method, format!("{upstream}{path}"))
                .body(body);
            if let Some(ct) = content_type {
                forward = forward.header("content-type", ct);
            }
            let answer = forward.send().await.unwrap();
            let status = answer.status().as_u16();
            Response::builder()
                .status(status)
                .header("Content-Type", "application/json")
                .body(Body::from(answer.bytes().await.unwrap()))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread")]
async fn import_from_url_authenticates_to_the_source_and_the_target() {
    use base64::Engine;

    let source = TestApp::spawn().await;
    populate(&source).await;
    let target = TestApp::spawn().await;
    let basic = base64::engine::general_purpose::STANDARD.encode("alice:s3cret:with:colons");
    let gated_source = behind_auth(source.base.clone(), format!("Basic {basic}")).await;
    let gated_target = behind_auth(target.base.clone(), "Bearer t0ken".into()).await;

    let refused = schemata(&[
        "import",
        "--from-url",
        &gated_source,
        "--url",
        &gated_target,
    ])
    .await;
    assert_eq!(
        outcome(&refused),
        (
            Some(2),
            String::new(),
            format!("error: GET {gated_source}/subjects?deleted=true: the registry answered 401: {{\"error_code\":401,\"message\":\"Unauthorized\"}}\n")
        )
    );
    let out = schemata(&[
        "import",
        "--from-url",
        &gated_source,
        "--from-basic-auth",
        "alice:s3cret:with:colons",
        "--url",
        &gated_target,
        "--bearer-token",
        "t0ken",
    ])
    .await;
    assert_eq!(
        outcome(&out),
        (
            Some(0),
            format!(
                "{}copied into {gated_target}: 6 versions, 2 soft deletes, 2 configs, 1 modes; already there: 0 versions, 0 soft deletes, 0 configs, 1 modes\n",
                populated_read(&gated_source)
            ),
            String::new()
        )
    );
    assert_eq!(answers(&target).await, answers(&source).await);
    // Credentials also come from the environment, and export takes them too.
    let exported = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(["export", "--url", &gated_source])
            .env("SCHEMATA_BASIC_AUTH", "alice:s3cret:with:colons")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (code, dump, stderr) = outcome(&exported);
    assert_eq!(
        (code, stderr),
        (Some(0), "exported 10 records\n".to_string())
    );
    assert_eq!(
        dump,
        outcome(&schemata(&["export", "--url", &source.base]).await).1
    );
}

/// Polls until `follower` answers as `source` does, failing after two seconds; how long it took.
async fn converges(follower: &TestApp, source: &TestApp) -> std::time::Duration {
    let start = std::time::Instant::now();
    let expected = answers(source).await;
    loop {
        let seen = answers(follower).await;
        if seen == expected {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "the follower differs after 2 s: {:?}",
            seen.iter().zip(&expected).find(|(a, b)| a != b)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn follower_of(source: &str, credentials: Option<Credentials>) -> TestApp {
    let dir = Arc::new(TempDir::new().unwrap());
    let mut options = Options::new(&file_url(dir.path()));
    options.follow = Some(Follow {
        source: Remote::new(source, credentials),
        interval: std::time::Duration::from_millis(100),
    });
    let mut app = TestApp::with(options).await;
    app.dir = Some(dir);
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn a_follower_sees_the_source_s_writes_within_two_seconds_and_refuses_its_own() {
    let source = TestApp::spawn().await;
    populate(&source).await;
    let follower = follower_of(&source.base, None).await;
    converges(&follower, &source).await;

    // A registration, a soft delete, a hard delete and a config change on the source.
    assert_eq!(source.register_ok("orders-value", "\"bytes\"").await, 101);
    assert_eq!(
        source
            .delete("/subjects/orders-value/versions/3")
            .await
            .body,
        json!(3)
    );
    assert_eq!(
        source
            .delete("/subjects/orders-value/versions/2?permanent=true")
            .await
            .body,
        json!(2)
    );
    source
        .put("/config/customer", json!({"compatibility": "NONE"}))
        .await;
    source.delete("/config/orders-value").await;
    converges(&follower, &source).await;
    let r = follower.get("/subjects/orders-value/versions/4").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"subject": "orders-value", "version": 4, "id": 101, "schema": "\"bytes\""})
        )
    );

    // Writes to the follower are refused, whatever they are.
    assert_error(
        &follower.register("new", "\"int\"").await,
        422,
        42205,
        "Subject new is in read-only mode",
    );
    // Re-registering what the replica holds writes nothing: it answers, as reads do.
    let known = follower.register("orders-value", "\"bytes\"").await;
    assert_eq!((known.status, known.body), (200, json!({"id": 101})));
    assert_error(
        &follower
            .put("/config", json!({"compatibility": "NONE"}))
            .await,
        422,
        42205,
        "Subject null is in read-only mode",
    );
    assert_error(
        &follower
            .put("/mode/customer", json!({"mode": "READWRITE"}))
            .await,
        422,
        42205,
        "Subject customer is in read-only mode",
    );
    assert_error(
        &follower.delete("/subjects/customer/versions/1").await,
        422,
        42205,
        "Subject customer is in read-only mode",
    );
    // The source is untouched by the attempts.
    converges(&follower, &source).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_follower_authenticates_to_its_source() {
    use base64::Engine;

    let source = TestApp::spawn().await;
    populate(&source).await;
    let basic = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    let gated = behind_auth(source.base.clone(), format!("Basic {basic}")).await;
    let wrong = follower_of(&gated, None).await;
    let follower = follower_of(
        &gated,
        Some(Credentials::Basic {
            user: "alice".into(),
            password: "s3cret".into(),
        }),
    )
    .await;
    converges(&follower, &source).await;
    // Without credentials nothing comes across.
    assert_eq!(wrong.get("/subjects").await.body, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_without_the_schema_list_is_read_version_by_version() {
    let source = TestApp::spawn().await;
    populate(&source).await;
    let hidden = gate(source.base.clone(), None, true).await;
    assert_eq!(
        outcome(&schemata(&["export", "--url", &hidden]).await),
        outcome(&schemata(&["export", "--url", &source.base]).await)
    );
    let target = TestApp::spawn().await;
    let out = schemata(&["import", "--from-url", &hidden, "--url", &target.base]).await;
    assert_eq!(outcome(&out).0, Some(0));
    assert_eq!(answers(&target).await, answers(&source).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schema_list_is_read_page_by_page() {
    // 2,500 versions (Confluent pages GET /schemas by 1,000), made fast through a dump.
    let mut dump = String::new();
    for i in 1..=2500 {
        let subject = format!("s{:02}", i % 40);
        let version = i / 40 + 1;
        dump.push_str(&format!(
            "{{\"keytype\":\"SCHEMA\",\"subject\":\"{subject}\",\"version\":{version},\"magic\":1}}\t\
             {{\"subject\":\"{subject}\",\"version\":{version},\"id\":{i},\"schema\":\"{{\\\"type\\\":\\\"fixed\\\",\\\"name\\\":\\\"F{i}\\\",\\\"size\\\":{i}}}\",\"deleted\":{}}}\n",
            i % 7 == 0
        ));
    }
    let dir = Arc::new(TempDir::new().unwrap());
    let file = dir.path().join("dump");
    std::fs::write(&file, &dump).unwrap();
    let storage = file_url(&dir.path().join("data"));
    let out = schemata(&["import", "--storage", &storage, file.to_str().unwrap()]).await;
    assert_eq!(
        outcome(&out),
        (
            Some(0),
            format!(
                "imported 2500 records into {storage}: SCHEMA 2500 (357 soft-deleted)\n\
                 it now holds 40 subjects (0 soft-deleted), 2500 schemas, highest id 2500\n"
            ),
            String::new()
        )
    );
    let mut source = TestApp::on(&storage, ApiFormat::V7, 4 * 1024 * 1024).await;
    let copy = TempDir::new().unwrap();
    let target = file_url(copy.path());
    let out = schemata(&["import", "--from-url", &source.base, "--storage", &target]).await;
    assert_eq!(
        outcome(&out),
        (
            Some(0),
            format!(
                "read from {}: 40 subjects, 2500 versions (357 soft-deleted), 1 configs, 1 modes\n\
                 imported 2502 records into {target}: SCHEMA 2500 (357 soft-deleted), CONFIG 1, MODE 1; 0 already there\n\
                 it now holds 40 subjects (0 soft-deleted), 2500 schemas, highest id 2500\n",
                source.base
            ),
            String::new()
        )
    );
    source.stop().await;
    // The same versions, deleted flags and ids as the dump (in id order, then the settings).
    let exported = export(&target).await;
    let versions: Vec<&str> = exported.lines().take(2500).collect();
    let expected: Vec<String> = dump
        .lines()
        .map(|l| l.replace(",\"schema\":", ",\"schemaType\":\"AVRO\",\"schema\":"))
        .collect();
    assert_eq!(versions, expected);
}

/// Confluent's Python serializers (client/tests/python/interop.py), off the runtime's threads;
/// `None` when Python or confluent-kafka is missing (and not required).
async fn python(args: &[&str]) -> Option<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/client/tests/python/interop.py"
    );
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let ready = Command::new("python3")
            .args(["-c", "import confluent_kafka.schema_registry, fastavro"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ready {
            assert!(
                std::env::var_os("SCHEMATA_REQUIRE_PYTHON").is_none(),
                "confluent-kafka for Python is required"
            );
            eprintln!("skipped: python3 with confluent-kafka[avro,schemaregistry] not found");
            return None;
        }
        let out = Command::new("python3")
            .arg(script)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_framed_by_confluent_s_python_serializer_against_the_source_decodes_against_the_copy(
) {
    let source = TestApp::spawn().await;
    populate(&source).await;
    // Registered by the Python serializer itself, under the id after the source's highest.
    let Some(framed) = python(&[&source.base, "avro", "encode"]).await else {
        return;
    };
    assert_eq!(
        &framed[..10],
        "0000000065",
        "magic byte, then id 101: {framed}"
    );
    for into_storage in [false, true] {
        let (target, _dir) = if into_storage {
            let dir = Arc::new(TempDir::new().unwrap());
            let url = file_url(dir.path());
            let out = schemata(&["import", "--from-url", &source.base, "--storage", &url]).await;
            assert_eq!(outcome(&out).0, Some(0));
            (
                TestApp::start(dir.clone(), ApiFormat::V7, 4 * 1024 * 1024).await,
                Some(dir),
            )
        } else {
            let target = TestApp::spawn().await;
            let out =
                schemata(&["import", "--from-url", &source.base, "--url", &target.base]).await;
            assert_eq!(outcome(&out).0, Some(0));
            (target, None)
        };
        let decoded = python(&[&target.base, "avro", "decode", &framed])
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&decoded).unwrap(),
            json!({"id": 42, "name": "schemata"})
        );
    }
}
