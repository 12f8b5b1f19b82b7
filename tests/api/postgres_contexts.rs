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

/// A database of an earlier Schemata (migrations up to 0003) holding subjects named like
/// contexts is refused before migration 0004, which would stop the earlier version from
/// serving it again.
#[tokio::test]
async fn a_database_from_before_contexts_is_refused_before_it_is_migrated() {
    use sqlx::Connection;

    let Some(db) = TestDb::create().await else {
        return;
    };
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    // The `records` table as migration 0001 made it, with what an earlier version wrote.
    sqlx::raw_sql(
        r#"CREATE TABLE records (key TEXT PRIMARY KEY, seq BIGSERIAL, value TEXT);
           INSERT INTO records (key, value) VALUES
           ('{"keytype":"SCHEMA","subject":"plain","version":1,"magic":1}',
            '{"subject":"plain","version":1,"id":1,"schema":"\"string\"","deleted":false}'),
           ('{"keytype":"SCHEMA","subject":":.staging:orders-value","version":1,"magic":1}',
            '{"subject":":.staging:orders-value","version":1,"id":2,"schema":"\"int\"","deleted":false}'),
           ('{"keytype":"SCHEMA","subject":":.staging:orders-value","version":2,"magic":1}',
            '{"subject":":.staging:orders-value","version":2,"id":3,"schema":"\"long\"","deleted":true}');"#,
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let err = schemata::storage::open(&db.url, &schemata::metrics::Metrics::off())
        .await
        .err()
        .expect("the database is refused");
    assert_eq!(
        err.to_string(),
        "1 stored subjects (':.staging:orders-value') were registered before Schemata had \
         contexts, as plain subjects of the default context with ids from its sequence; \
         Schemata now reads ':.ctx:name' as the subject 'name' of context '.ctx', with ids of \
         its own, which would change what their ids mean. The database was left as it was \
         (migration 0004 not applied): keep serving it with the earlier Schemata, or with it \
         export them (`schemata export`) and delete them permanently, then start this one"
    );
    let migrated: bool = sqlx::query_scalar("SELECT to_regclass('context_ids') IS NOT NULL")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(!migrated);
}
