//! Contexts on PostgreSQL: ids per context across nodes, never handed out twice in a context,
//! and the check at start for subjects named like contexts before contexts existed.

use schemata::http::ApiFormat;
use serde_json::json;

use crate::helpers::TestApp;
use crate::pg::TestDb;

async fn node(db: &TestDb) -> TestApp {
    TestApp::on(&db.url, ApiFormat::V7, 4 * 1024 * 1024).await
}

#[tokio::test]
async fn each_context_numbers_its_schemas_across_nodes_and_never_twice() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = (node(&db).await, node(&db).await);
    assert_eq!(a.register_ok(":.a:s", "\"int\"").await, 1);
    assert_eq!(b.register_ok(":.b:s", "\"int\"").await, 1);
    assert_eq!(a.register_ok("s", "\"string\"").await, 1);
    // B writes in `.a` after catching up with A's write there.
    assert_eq!(b.register_ok(":.a:t", "\"long\"").await, 2);
    assert_eq!(a.register_ok(":.a:t", "\"long\"").await, 2);
    assert_eq!(a.delete("/subjects/:.a:t").await.body, json!([1]));
    assert_eq!(
        a.delete("/subjects/:.a:t?permanent=true").await.body,
        json!([1])
    );
    // A node started now never saw id 2 of `.a`: the database remembers it was handed out.
    let c = node(&db).await;
    assert_eq!(c.register_ok(":.a:u", "\"boolean\"").await, 3);
    assert_eq!(c.get("/contexts").await.body, json!([".", ".a", ".b"]));
    for (path, want) in [
        ("/schemas/ids/1", "\"string\""),
        ("/schemas/ids/1?subject=:.a:", "\"int\""),
        ("/schemas/ids/3?subject=:.a:u", "\"boolean\""),
        ("/schemas/ids/1?subject=:.b:s", "\"int\""),
    ] {
        let r = c.get(path).await;
        assert_eq!(
            (r.status, &r.body),
            (200, &json!({"schema": want})),
            "{path}"
        );
    }
    assert_eq!(
        c.get("/subjects").await.body,
        json!([":.a:s", ":.a:u", ":.b:s", "s"])
    );
}

#[tokio::test]
async fn subjects_named_like_contexts_before_contexts_existed_stop_the_start_on_postgres() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    crate::contexts::upgrade_check_on(&db.url).await;
}
