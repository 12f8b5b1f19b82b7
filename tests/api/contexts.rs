//! Contexts, as Confluent has them: subjects named `:.ctx:name`, each context with ids of its
//! own, listed and deleted through `/contexts`, reachable under the `/contexts/{context}/` URL
//! prefix, with configs and modes that fall back context by context.

use serde_json::{json, Value};

use crate::helpers::{assert_error, record, TestApp};

/// The same schema in two contexts gets an id in each, and id 1 means a different schema in each.
/// Registrations: `s` "string" (default 1), `:.a:s` "int" (.a 1), `:.b:t` "long" (.b 1),
/// `:.b:s` "int" (.b 2), `:.a:u` "string" (.a 2).
async fn five_registrations() -> TestApp {
    let app = TestApp::spawn().await;
    for (subject, schema, id) in [
        ("s", "\"string\"", 1),
        (":.a:s", "\"int\"", 1),
        (":.b:t", "\"long\"", 1),
        (":.b:s", "\"int\"", 2),
        (":.a:u", "\"string\"", 2),
        // Known already: the same id again.
        (":.a:s", "\"int\"", 1),
        ("s", "\"string\"", 1),
    ] {
        let r = app.register(subject, schema).await;
        assert_eq!(
            (r.status, &r.body),
            (200, &json!({ "id": id })),
            "{subject}"
        );
    }
    app
}

fn schema(text: &str) -> Value {
    json!({ "schema": text })
}

#[tokio::test]
async fn each_context_numbers_its_schemas_on_its_own() {
    let app = five_registrations().await;
    // Without a subject: the default context.
    assert_eq!(app.get("/schemas/ids/1").await.body, schema("\"string\""));
    let r = app.get("/schemas/ids/2").await;
    assert_error(&r, 404, 40403, "Schema 2 not found");
    // A context alone, or a subject of it.
    for (path, text) in [
        ("/schemas/ids/1?subject=:.a:", "\"int\""),
        ("/schemas/ids/2?subject=:.a:", "\"string\""),
        ("/schemas/ids/2?subject=:.a:u", "\"string\""),
        ("/schemas/ids/1?subject=:.b:", "\"long\""),
        ("/schemas/ids/2?subject=:.b:s", "\"int\""),
        ("/schemas/ids/1?subject=s", "\"string\""),
        // `:.:s` is `s`, of the default context.
        ("/schemas/ids/1?subject=:.:s", "\"string\""),
    ] {
        let r = app.get(path).await;
        assert_eq!((r.status, &r.body), (200, &schema(text)), "{path}");
    }
    // A qualified subject that does not hold the id: no fallback.
    let r = app.get("/schemas/ids/1?subject=:.b:s").await;
    assert_error(&r, 404, 40403, "Schema 1 not found");
    let r = app.get("/schemas/ids/3?subject=:.b:").await;
    assert_error(&r, 404, 40403, "Schema 3 not found");
    assert_eq!(
        app.get("/schemas/ids/2/versions?subject=:.a:").await.body,
        json!([{"subject": ":.a:u", "version": 1}])
    );
    assert_eq!(
        app.get("/schemas/ids/1/subjects?subject=:.b:").await.body,
        json!([":.b:t"])
    );
    assert_eq!(app.get("/schemas/ids/1/subjects").await.body, json!(["s"]));
    assert_eq!(
        app.get("/schemas/ids/2/schema?subject=:.b:").await.body,
        json!("int")
    );
    let r = app.get("/subjects/:.b:s/versions/1").await;
    assert_eq!(
        r.body,
        json!({"subject": ":.b:s", "version": 1, "id": 2, "schema": "\"int\""})
    );
    let r = app.get("/subjects/:.:s/versions/latest").await;
    assert_eq!(
        r.body,
        json!({"subject": "s", "version": 1, "id": 1, "schema": "\"string\""})
    );
    let r = app
        .post("/subjects/:.b:s", json!({"schema": "\"int\""}))
        .await;
    assert_eq!(
        r.body,
        json!({"subject": ":.b:s", "version": 1, "id": 2, "schema": "\"int\""})
    );
    let r = app.get("/schemas/ids/2?subject=:.b:&fetchMaxId=true").await;
    assert_eq!(r.body, json!({"schema": "\"int\"", "maxId": 2}));
}

/// An unqualified subject hint: the id under that subject in the default context, else under
/// that subject in each other context, else any holder in the default context (Confluent's
/// `getSchemaKeyUsingContexts`).
#[tokio::test]
async fn an_unqualified_subject_hint_falls_back_as_confluents_does() {
    let app = five_registrations().await;
    for (path, want) in [
        // `s` holds 1 in the default context, not 2; `:.a:s` holds 1; `:.b:s` holds 2.
        ("/schemas/ids/2?subject=s", Some("\"int\"")),
        // Only `:.b:t` holds an id 1 under the name `t`.
        ("/schemas/ids/1?subject=t", Some("\"long\"")),
        // Nobody named so: the default context's id 1.
        ("/schemas/ids/1?subject=nobody", Some("\"string\"")),
        // `t` holds no id 2 anywhere, and the default context has none.
        ("/schemas/ids/2?subject=t", None),
    ] {
        let r = app.get(path).await;
        match want {
            Some(text) => assert_eq!((r.status, &r.body), (200, &schema(text)), "{path}"),
            None => assert_error(&r, 404, 40403, "Schema 2 not found"),
        }
    }
}

#[tokio::test]
async fn subject_prefixes_select_contexts_as_confluents_do() {
    let app = five_registrations().await;
    for (query, want) in [
        // No prefix: every context (`:*:`), sorted by qualified name.
        ("", json!([":.a:s", ":.a:u", ":.b:s", ":.b:t", "s"])),
        (
            "?subjectPrefix=:*:",
            json!([":.a:s", ":.a:u", ":.b:s", ":.b:t", "s"]),
        ),
        ("?subjectPrefix=:*:s", json!([":.a:s", ":.b:s", "s"])),
        ("?subjectPrefix=:.b:", json!([":.b:s", ":.b:t"])),
        ("?subjectPrefix=:.b", json!([":.b:s", ":.b:t"])),
        // An empty or unqualified prefix: the default context only.
        ("?subjectPrefix=", json!(["s"])),
        ("?subjectPrefix=s", json!(["s"])),
    ] {
        let r = app.get(&format!("/subjects{query}")).await;
        assert_eq!((r.status, &r.body), (200, &want), "{query}");
    }
    let r = app.get("/schemas?subjectPrefix=:.a:").await;
    assert_eq!(
        r.body,
        json!([
            {"subject": ":.a:s", "version": 1, "id": 1, "schema": "\"int\""},
            {"subject": ":.a:u", "version": 1, "id": 2, "schema": "\"string\""}
        ])
    );
    // `GET /schemas` without a prefix is the default context's.
    let r = app.get("/schemas").await;
    assert_eq!(
        r.body,
        json!([{"subject": "s", "version": 1, "id": 1, "schema": "\"string\""}])
    );
}

/// A reference names a subject of the referencing schema's context unless it is qualified.
#[tokio::test]
async fn references_resolve_in_the_referencing_subjects_context() {
    let app = TestApp::spawn().await;
    let inner = record("Inner", &[("x", json!("int"))]);
    assert_eq!(app.register_ok(":.a:inner", &inner).await, 1);
    let outer = json!({
        "schema": record("Outer", &[("i", json!("Inner"))]),
        "references": [{"name": "Inner", "subject": "inner", "version": 1}]
    });
    let r = app
        .post("/subjects/:.a:outer/versions", outer.clone())
        .await;
    assert_eq!((r.status, &r.body), (200, &json!({"id": 2})));
    // In the default context `inner` does not exist.
    let r = app.post("/subjects/outer/versions", outer).await;
    assert_error(
        &r,
        422,
        42201,
        "Invalid schema, details: No schema reference found for subject \"inner\" and version 1",
    );
    let r = app.get("/subjects/:.a:inner/versions/1/referencedby").await;
    assert_eq!(r.body, json!([2]));
    let r = app.delete("/subjects/:.a:inner/versions/1").await;
    assert_error(
        &r,
        422,
        42206,
        "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=:.a:inner,version=1}.",
    );
}

#[tokio::test]
async fn contexts_are_listed_and_only_empty_ones_deleted() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/contexts").await.body, json!(["."]));
    app.register_ok(":.b:x", "\"int\"").await;
    app.register_ok(":.a:x", "\"int\"").await;
    // A config does not make a context.
    let r = app
        .put("/config/:.c:", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.get("/contexts").await.body, json!([".", ".a", ".b"]));
    assert_eq!(
        app.get("/contexts?contextPrefix=.a").await.body,
        json!([".a"])
    );
    assert_eq!(
        app.get("/contexts?offset=1&limit=1").await.body,
        json!([".a"])
    );
    let not_empty = "The specified context ':.a:' is not empty.";
    assert_error(&app.delete("/contexts/.a").await, 422, 42211, not_empty);
    assert_eq!(
        app.delete("/subjects/:.a:x").await.body,
        json!([1]),
        "soft delete"
    );
    // Soft-deleted subjects still hold it.
    assert_error(&app.delete("/contexts/:.a:").await, 422, 42211, not_empty);
    assert_eq!(
        app.delete("/subjects/:.a:x?permanent=true").await.body,
        json!([1])
    );
    let r = app.delete("/contexts/.a").await;
    assert_eq!((r.status, &r.body), (204, &json!("")));
    assert_eq!(app.get("/contexts").await.body, json!([".", ".b"]));
    // A context that never existed: nothing to do.
    assert_eq!(app.delete("/contexts/.never").await.status, 204);
    // It comes back with its next registration, and survives a restart.
    app.register_ok(":.a:y", "\"long\"").await;
    let app = app.restart().await;
    assert_eq!(app.get("/contexts").await.body, json!([".", ".a", ".b"]));
    assert_eq!(
        app.get("/schemas/ids/1?subject=:.a:y").await.body,
        schema("\"long\"")
    );
}

/// What Confluent's clients send when their base URL ends in `/contexts/{context}`.
#[tokio::test]
async fn every_path_works_under_the_context_url_prefix() {
    let app = TestApp::spawn().await;
    app.register_ok("orders", "\"string\"").await;
    let r = app
        .post(
            "/contexts/.staging/subjects/orders/versions",
            json!({"schema": "\"int\""}),
        )
        .await;
    assert_eq!((r.status, &r.body), (200, &json!({"id": 1})));
    // A context named without its dot means the same one.
    let r = app
        .post(
            "/contexts/staging/subjects/orders/versions",
            json!({"schema": "\"int\""}),
        )
        .await;
    assert_eq!((r.status, &r.body), (200, &json!({"id": 1})));
    assert_eq!(
        app.get("/contexts/.staging/subjects").await.body,
        json!([":.staging:orders"])
    );
    assert_eq!(
        app.get("/subjects").await.body,
        json!([":.staging:orders", "orders"])
    );
    assert_eq!(
        app.get("/contexts/.staging/schemas/ids/1").await.body,
        schema("\"int\"")
    );
    assert_eq!(app.get("/schemas/ids/1").await.body, schema("\"string\""));
    assert_eq!(
        app.get("/contexts/.staging/subjects/orders/versions/latest")
            .await
            .body,
        json!({"subject": ":.staging:orders", "version": 1, "id": 1, "schema": "\"int\""})
    );
    assert_eq!(
        app.get("/contexts/.staging/schemas").await.body,
        json!([{"subject": ":.staging:orders", "version": 1, "id": 1, "schema": "\"int\""}])
    );
    // A qualified name under the prefix is left as it is.
    assert_eq!(
        app.get("/contexts/.staging/subjects/:.:orders/versions")
            .await
            .body,
        json!([1])
    );
    let r = app
        .put(
            "/contexts/.staging/config",
            json!({"compatibility": "NONE"}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body),
        (200, &json!({"compatibility": "NONE"}))
    );
    assert_eq!(
        app.get("/config/:.staging:").await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        app.get("/contexts/.staging/config/orders?defaultToGlobal=true")
            .await
            .body,
        json!({"compatibilityLevel": "NONE"})
    );
    let r = app
        .post(
            "/contexts/.staging/compatibility/subjects/orders/versions/latest",
            json!({"schema": "\"long\""}),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": true}));
    let r = app.get("/contexts/a:b/subjects").await;
    assert_error(&r, 400, 400, "Context name 'a:b' cannot contain a colon");
    let r = app.delete("/contexts/.staging").await;
    assert_error(
        &r,
        422,
        42211,
        "The specified context ':.staging:' is not empty.",
    );
}

/// A subject's config is its own, else its context's (the global one for the default context),
/// else `:.__GLOBAL:`'s, else the server's default; modes the same.
#[tokio::test]
async fn configs_and_modes_fall_back_context_by_context() {
    let app = TestApp::spawn().await;
    let put = |path: &'static str, body: Value| {
        let app = &app;
        async move {
            let r = app.put(path, body).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
        }
    };
    put("/config", json!({"compatibility": "NONE"})).await;
    put("/config/:.strict:", json!({"compatibility": "FULL"})).await;
    put("/config/:.__GLOBAL:", json!({"compatibility": "FORWARD"})).await;
    for (subject, level) in [
        ("x", "NONE"),
        (":.strict:x", "FULL"),
        // The global config is the default context's: other contexts skip it.
        (":.other:x", "FORWARD"),
    ] {
        let r = app
            .get(&format!("/config/{subject}?defaultToGlobal=true"))
            .await;
        assert_eq!(r.body, json!({"compatibilityLevel": level}), "{subject}");
    }
    let v1 = record("R", &[("a", json!("int"))]);
    let v2 = record("R", &[("a", json!("int")), ("b", json!("int"))]);
    app.register_ok(":.strict:r", &v1).await;
    app.register_ok("r", &v1).await;
    assert_eq!(app.register_ok("r", &v2).await, 2);
    let r = app.register(":.strict:r", &v2).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["error_code"], json!(409));

    put("/mode/:.frozen:", json!({"mode": "READONLY"})).await;
    let r = app.register(":.frozen:x", "\"int\"").await;
    assert_error(&r, 422, 42205, "Subject :.frozen:x is in read-only mode");
    assert_eq!(
        app.get("/mode/:.frozen:x?defaultToGlobal=true").await.body,
        json!({"mode": "READONLY"})
    );
    assert_eq!(app.register_ok("x", "\"int\"").await, 3);
    put("/mode/:.__GLOBAL:", json!({"mode": "READONLY"})).await;
    let r = app.register(":.thawed:x", "\"int\"").await;
    assert_error(&r, 422, 42205, "Subject :.thawed:x is in read-only mode");
    // The default context reads the global mode first, which is unset: READWRITE is not
    // stored, so `:.__GLOBAL:` applies there too.
    let r = app.register("y", "\"int\"").await;
    assert_error(&r, 422, 42205, "Subject y is in read-only mode");
    put("/mode", json!({"mode": "READWRITE"})).await;
    assert_eq!(app.register_ok("y", "\"int\"").await, 3);
}

#[tokio::test]
async fn reserved_names_are_refused_in_every_context() {
    let app = TestApp::spawn().await;
    for subject in [":.a:__GLOBAL", ":.a:__EMPTY", ":.__GLOBAL:x"] {
        let r = app.register(subject, "\"int\"").await;
        assert_error(
            &r,
            422,
            42208,
            &format!("The specified subject '{subject}' is not a valid."),
        );
    }
    assert_eq!(app.get("/contexts").await.body, json!(["."]));
}

/// A log written before Schemata had contexts may hold subjects named `:.ctx:name`, numbered in
/// the default context's ids: the server refuses to start rather than silently giving them ids
/// of their contexts, and says why.
#[tokio::test]
async fn subjects_named_like_contexts_before_contexts_existed_stop_the_start() {
    let dir = tempfile::TempDir::new().unwrap();
    upgrade_check_on(&format!("file://{}", dir.path().display())).await;
}

/// The upgrade check on the store `url` names (empty): see the test above.
pub async fn upgrade_check_on(url: &str) {
    use schemata::app::{Options, Server};
    use schemata::metrics::Metrics;
    use schemata::storage::{Record, SchemaValue};

    let url = url.to_string();
    let version = |subject: &str, id: u32| {
        let subject = subject.to_string();
        Record::Schema {
            subject: subject.clone(),
            version: 1,
            value: Some(SchemaValue {
                subject,
                version: 1,
                id,
                schema_type: "AVRO".into(),
                references: vec![],
                schema: "\"string\"".into(),
                metadata: None,
                rule_set: None,
                deleted: false,
                ts: Some(1),
            }),
        }
    };
    let write = |records: Vec<Record>| {
        let url = url.clone();
        async move {
            let store = schemata::storage::open(&url, &Metrics::off())
                .await
                .unwrap();
            let txn = store.begin().await.unwrap();
            txn.commit(records, Box::new(|_| {})).await.unwrap();
        }
    };
    write(vec![
        version("plain", 1),
        version(":.staging:orders-value", 2),
        version(":.staging:payments-value", 3),
    ])
    .await;
    let err = Server::open(&Options::new(&url))
        .await
        .err()
        .expect("the server refuses to start");
    assert_eq!(
        format!("{err:#}"),
        "loading the registry: 2 stored subjects (':.staging:orders-value', \
         ':.staging:payments-value') were registered before Schemata had contexts, as plain \
         subjects of the default context with ids from its sequence; Schemata now reads \
         ':.ctx:name' as the subject 'name' of context '.ctx', with ids of its own, which would \
         change what their ids mean. Keep serving them with the earlier Schemata, or with it \
         export them (`schemata export`) and delete them permanently, then register them again \
         here"
    );
    // The same subjects written with their context's record, as Schemata and Confluent write
    // them, are read as the context's.
    write(vec![Record::Context {
        context: ".staging".into(),
        exists: true,
    }])
    .await;
    let app = TestApp::on(&url, schemata::http::ApiFormat::V7, 4 * 1024 * 1024).await;
    assert_eq!(app.get("/contexts").await.body, json!([".", ".staging"]));
    assert_eq!(
        app.get("/schemas/ids/3?subject=:.staging:").await.body,
        schema("\"string\"")
    );
    assert_error(
        &app.get("/schemas/ids/3").await,
        404,
        40403,
        "Schema 3 not found",
    );
}

/// Ids are per context, so whether a caller may read `/schemas/ids/{id}` depends on the context
/// the `subject` hint (or the URL prefix) picks: a grant in the default context does not reach
/// the same id in another.
#[tokio::test]
async fn grants_are_checked_in_the_context_an_id_is_read_in() {
    let keys = tempfile::TempDir::new().unwrap();
    let mut text = String::new();
    for user in ["reader", "admin"] {
        let hash = schemata::auth::password::hash(format!("pw-{user}").as_bytes()).unwrap();
        text += &format!("[[users]]\nname = \"{user}\"\npassword_hash = \"{hash}\"\n\n");
    }
    text += "[[grants]]\nprincipal = \"reader\"\nrole = \"reader\"\nsubjects = \"orders-*\"\n\n";
    text += "[[grants]]\nprincipal = \"admin\"\nrole = \"admin\"\nsubjects = \"*\"\n";
    let path = keys.path().join("auth.toml");
    std::fs::write(&path, text).unwrap();
    let app = TestApp::spawn_changed(|o| o.auth_file = Some(path)).await;
    let call =
        |user: &'static str, method: reqwest::Method, path: &'static str, body: Option<Value>| {
            let app = &app;
            async move {
                let mut req = app
                    .client
                    .request(method, format!("{}{path}", app.base))
                    .basic_auth(user, Some(format!("pw-{user}")))
                    .header("Content-Type", crate::helpers::CONTENT_TYPE);
                if let Some(b) = body {
                    req = req.body(b.to_string());
                }
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap();
                (
                    status,
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                )
            }
        };
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;
    let body = |s: &str| Some(json!({"schema": s}));
    for (path, text) in [
        ("/subjects/orders-value/versions", "\"string\""),
        ("/subjects/:.secret:x/versions", "\"int\""),
    ] {
        assert_eq!(
            call("admin", post.clone(), path, body(text)).await,
            (200, json!({"id": 1}))
        );
    }
    assert_eq!(
        call("reader", get.clone(), "/schemas/ids/1", None).await,
        (200, schema("\"string\""))
    );
    let denied = (
        403,
        json!({"error_code": 40301, "message": "User is denied operation Read on Schema: 1"}),
    );
    for path in [
        "/schemas/ids/1?subject=:.secret:",
        "/schemas/ids/1?subject=:.secret:x",
        "/contexts/.secret/schemas/ids/1",
        "/contexts/.secret/schemas/ids/1/schema",
    ] {
        assert_eq!(
            call("reader", get.clone(), path, None).await,
            denied,
            "{path}"
        );
    }
    assert_eq!(
        call(
            "admin",
            get.clone(),
            "/contexts/.secret/schemas/ids/1",
            None
        )
        .await,
        (200, schema("\"int\""))
    );
    assert_eq!(
        call("reader", get.clone(), "/subjects", None).await,
        (200, json!(["orders-value"]))
    );
    assert_eq!(
        call("reader", reqwest::Method::DELETE, "/contexts/.secret", None).await,
        (
            403,
            json!({"error_code": 40301, "message": "User is denied operation AlterConfigs on Registry"})
        )
    );
}

/// A registry with contexts copied over its API into a storage and into another registry: the
/// other contexts' subjects come too (`GET /schemas` lists only the default context's), with
/// their ids, and the copy records their contexts.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_over_the_api_keeps_every_context_and_its_ids() {
    use crate::helpers::{outcome, schemata_cli};

    let source = five_registrations().await;
    let r = source
        .put("/config/:.b:", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(r.status, 200);
    let dir = tempfile::TempDir::new().unwrap();
    let storage = format!("file://{}", dir.path().join("copy").display());
    let out = schemata_cli(
        &["import", "--from-url", &source.base, "--storage", &storage],
        None,
    )
    .await;
    assert_eq!(outcome(&out).0, Some(0), "{:?}", outcome(&out));
    let copy = TestApp::on(&storage, schemata::http::ApiFormat::V7, 4 * 1024 * 1024).await;
    let target = TestApp::spawn().await;
    let out = schemata_cli(
        &["import", "--from-url", &source.base, "--url", &target.base],
        None,
    )
    .await;
    assert_eq!(outcome(&out).0, Some(0), "{:?}", outcome(&out));
    // The copy took its contexts through IMPORT (`:.__GLOBAL:`'s mode) and left none behind.
    let r = target.get("/mode/:.__GLOBAL:").await;
    assert_error(
        &r,
        404,
        40409,
        "Subject ':.__GLOBAL:' does not have subject-level mode configured",
    );
    assert_eq!(target.get("/mode").await.body, json!({"mode": "READWRITE"}));
    for app in [&copy, &target] {
        assert_eq!(
            app.get("/config/:.b:").await.body,
            json!({"compatibilityLevel": "NONE"})
        );
        assert_eq!(app.get("/contexts").await.body, json!([".", ".a", ".b"]));
        assert_eq!(
            app.get("/subjects").await.body,
            json!([":.a:s", ":.a:u", ":.b:s", ":.b:t", "s"])
        );
        for (path, text) in [
            ("/schemas/ids/1", "\"string\""),
            ("/schemas/ids/2?subject=:.a:", "\"string\""),
            ("/schemas/ids/2?subject=:.b:", "\"int\""),
            ("/schemas/ids/1?subject=:.b:t", "\"long\""),
        ] {
            let r = app.get(path).await;
            assert_eq!((r.status, &r.body), (200, &schema(text)), "{path}");
        }
    }
}

/// 8.x responses name the subject version a read by id landed on, and a guid is the same
/// schema in every context: its id in each.
#[tokio::test]
async fn by_id_and_by_guid_in_8x_name_the_context_they_read() {
    let app = TestApp::spawn_with(schemata::http::ApiFormat::V8).await;
    for (subject, id) in [("s", 1), (":.a:x", 1), (":.a:s", 2), (":.b:s", 1)] {
        let text = if subject == ":.a:x" {
            "\"long\""
        } else {
            "\"int\""
        };
        let r = app.register(subject, text).await;
        assert_eq!(r.status, 200, "{subject}: {}", r.body);
        assert_eq!(r.body["id"], json!(id), "{subject}");
    }
    let r = app.get("/schemas/ids/2?subject=:.a:").await;
    let guid = r.body["guid"].as_str().unwrap().to_string();
    // The time of the registration, which the test cannot know.
    assert!(r.body["ts"].as_i64().is_some_and(|ts| ts > 0), "{}", r.body);
    assert_eq!(
        r.body,
        json!({"subject": ":.a:s", "version": 1, "guid": guid, "schemaType": "AVRO",
               "schema": "\"int\"", "ts": r.body["ts"], "deleted": false})
    );
    assert_eq!(
        app.get(&format!("/schemas/guids/{guid}/ids")).await.body,
        json!([{"context": ".", "id": 1}, {"context": ".a", "id": 2}, {"context": ".b", "id": 1}])
    );
    let r = app.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(r.body["schema"], json!("\"int\""));
    let r = app.get("/schemas/ids/1?subject=:.a:x").await;
    assert_eq!(
        (&r.body["subject"], &r.body["schema"]),
        (&json!(":.a:x"), &json!("\"long\""))
    );
}
