//! Authentication and authorization (`--auth-file`): who may do what, as a table; refusals with
//! Confluent's bodies; listings filtered; bad credentials of every kind a 401, never a 500; the
//! file re-read on SIGHUP.

use std::path::Path;

use jsonwebtoken::{EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{record, Reply, TestApp, CONTENT_TYPE};

/// The users of these tests: each has the role of its name on `orders-*`, but `admin` (admin
/// on `*`) and `nobody` (no grant). Passwords are `pw-` and the name.
const USERS: [&str; 5] = ["reader", "writer", "manager", "admin", "nobody"];

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "schemata";
const SECRET: &[u8] = b"a secret of thirty-two bytes or more, for HS256";

fn auth_file(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    for user in USERS {
        let hash = schemata::auth::password::hash(format!("pw-{user}").as_bytes()).unwrap();
        text += &format!("[[users]]\nname = \"{user}\"\npassword_hash = \"{hash}\"\n\n");
    }
    std::fs::write(dir.join("jwt-secret"), SECRET).unwrap();
    text += &format!(
        "[jwt]\nhs256_secret_file = \"jwt-secret\"\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\nprincipal_claim = \"sub\"\ngroups_claim = \"groups\"\n\n"
    );
    for role in ["reader", "writer", "manager"] {
        text += &format!(
            "[[grants]]\nprincipal = \"{role}\"\nrole = \"{role}\"\nsubjects = \"orders-*\"\n\n"
        );
    }
    text += "[[grants]]\nprincipal = \"admin\"\nrole = \"admin\"\nsubjects = \"*\"\n\n";
    text += "[[grants]]\ngroup = \"platform\"\nrole = \"writer\"\nsubjects = \"payments-value\"\n";
    let path = dir.join("auth.toml");
    std::fs::write(&path, text).unwrap();
    path
}

struct Secured {
    app: TestApp,
    _keys: TempDir,
}

async fn secured() -> Secured {
    let keys = TempDir::new().unwrap();
    let path = auth_file(keys.path());
    let app = TestApp::spawn_changed(|o| o.auth_file = Some(path)).await;
    Secured { app, _keys: keys }
}

/// How a request authenticates.
#[derive(Clone, Copy)]
enum As<'a> {
    Anonymous,
    User(&'a str),
    Password(&'a str, &'a str),
    Header(&'a [u8]),
}

async fn call(
    app: &TestApp,
    who: As<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = app
        .client
        .request(method, format!("{}{}", app.base, path))
        .header("Content-Type", CONTENT_TYPE);
    req = match who {
        As::Anonymous => req,
        As::User(u) => req.basic_auth(u, Some(format!("pw-{u}"))),
        As::Password(u, p) => req.basic_auth(u, Some(p)),
        As::Header(h) => req.header(
            "Authorization",
            reqwest::header::HeaderValue::from_bytes(h).unwrap(),
        ),
    };
    if let Some(b) = body {
        req = req.body(serde_json::to_vec(&b).unwrap());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let challenge: Vec<String> = resp
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let text = resp.text().await.unwrap();
    let mut body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status == 401 {
        assert_eq!(
            challenge,
            [
                "Basic realm=\"schemata\", charset=\"UTF-8\"",
                "Bearer realm=\"schemata\""
            ],
            "a 401 names the schemes"
        );
        body = json!({ "401": body });
    }
    Reply {
        status,
        body,
        content_type: String::new(),
    }
}

fn unauthorized() -> (u16, Value) {
    (
        401,
        json!({ "401": { "error_code": 401, "message": "Unauthorized" } }),
    )
}

fn denied(operation: &str, resource: &str) -> (u16, Value) {
    (
        403,
        json!({ "error_code": 40301, "message": format!("User is denied operation {operation} on {resource}") }),
    )
}

fn schema(n: usize) -> String {
    let fields: Vec<(String, Value)> = (0..n)
        .map(|i| (format!("f{i}"), json!({"type": "string", "default": ""})))
        .collect();
    let fields: Vec<(&str, Value)> = fields
        .iter()
        .map(|(n, t)| (n.as_str(), t.clone()))
        .collect();
    record("R", &fields)
}

/// The policy at a glance: each operation, whether each user may do it on `orders-value`
/// (inside their grants) and on `payments-value` (outside, but for admin's). Columns are
/// [`USERS`] in order; `Y` allowed, `-` denied with 403 naming the operation.
const MATRIX: [(&str, &str, &str, &str); 9] = [
    // operation             orders   payments  403 names
    ("read a version", "YYYY-", "---Y-", "Read"),
    ("check compatibility", "YYYY-", "---Y-", "Read"),
    ("read subject config", "YYYY-", "---Y-", "Read"),
    ("register", "-YYY-", "---Y-", "Write"),
    ("soft delete", "-YYY-", "---Y-", "Write"),
    ("hard delete", "--YY-", "---Y-", "Delete"),
    ("set subject config", "--YY-", "---Y-", "AlterConfigs"),
    ("set subject mode", "--YY-", "---Y-", "AlterConfigs"),
    ("set global config", "---Y-", "---Y-", "AlterConfigs"),
];

#[tokio::test]
async fn who_may_do_what_on_which_subject() {
    let s = secured().await;
    let app = &s.app;
    // Every schema of this test may follow any other.
    let none = json!({"compatibility": "NONE"});
    let r = call(
        app,
        As::User("admin"),
        Method::PUT,
        "/config",
        Some(none.clone()),
    )
    .await;
    assert_eq!(r.status, 200);
    for (operation, orders, payments, named) in MATRIX {
        for (subject, allowed) in [("orders-value", orders), ("payments-value", payments)] {
            for (user, cell) in USERS.iter().zip(allowed.chars()) {
                // The admin puts the subject in the state the operation needs.
                let admin = As::User("admin");
                let v1 = call(
                    app,
                    admin,
                    Method::POST,
                    &format!("/subjects/{subject}/versions"),
                    Some(json!({"schema": schema(1)})),
                )
                .await;
                assert_eq!(v1.status, 200, "{:?}", v1.body);
                let (method, path, body) = match operation {
                    "read a version" => (
                        Method::GET,
                        format!("/subjects/{subject}/versions/latest"),
                        None,
                    ),
                    "check compatibility" => (
                        Method::POST,
                        format!("/compatibility/subjects/{subject}/versions/latest"),
                        Some(json!({"schema": schema(1)})),
                    ),
                    "read subject config" => (
                        Method::GET,
                        format!("/config/{subject}?defaultToGlobal=true"),
                        None,
                    ),
                    "register" => (
                        Method::POST,
                        format!("/subjects/{subject}/versions"),
                        Some(json!({"schema": schema(2)})),
                    ),
                    "soft delete" => {
                        let v = call(
                            app,
                            admin,
                            Method::POST,
                            &format!("/subjects/{subject}/versions"),
                            Some(json!({"schema": schema(3)})),
                        )
                        .await;
                        assert_eq!(v.status, 200);
                        (
                            Method::DELETE,
                            format!("/subjects/{subject}/versions/latest"),
                            None,
                        )
                    }
                    "hard delete" => {
                        call(
                            app,
                            admin,
                            Method::POST,
                            &format!("/subjects/{subject}/versions"),
                            Some(json!({"schema": schema(4)})),
                        )
                        .await;
                        let latest = call(
                            app,
                            admin,
                            Method::GET,
                            &format!("/subjects/{subject}/versions/latest"),
                            None,
                        )
                        .await;
                        let version = latest.body["version"].as_i64().unwrap();
                        let soft = call(
                            app,
                            admin,
                            Method::DELETE,
                            &format!("/subjects/{subject}/versions/{version}"),
                            None,
                        )
                        .await;
                        assert_eq!(soft.status, 200);
                        (
                            Method::DELETE,
                            format!("/subjects/{subject}/versions/{version}?permanent=true"),
                            None,
                        )
                    }
                    "set subject config" => (
                        Method::PUT,
                        format!("/config/{subject}"),
                        Some(json!({"compatibility": "NONE"})),
                    ),
                    "set subject mode" => (
                        Method::PUT,
                        format!("/mode/{subject}"),
                        Some(json!({"mode": "READWRITE"})),
                    ),
                    "set global config" => (Method::PUT, "/config".to_string(), Some(none.clone())),
                    other => unreachable!("{other}"),
                };
                let reply = call(app, As::User(user), method, &path, body).await;
                let what = format!("{user} {operation} on {subject}");
                if cell == 'Y' {
                    assert_eq!(reply.status, 200, "{what}: {:?}", reply.body);
                } else {
                    let resource = if operation == "set global config" {
                        "Registry".to_string()
                    } else {
                        format!("Subject: {subject}")
                    };
                    assert_eq!(
                        (reply.status, reply.body),
                        denied(named, &resource),
                        "{what}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn listings_show_only_what_the_principal_may_read() {
    let s = secured().await;
    let app = &s.app;
    let admin = As::User("admin");
    let reader = As::User("reader");
    let shared = schema(1);
    let mut ids = Vec::new();
    for (subject, text) in [
        ("orders-value", &shared),
        ("payments-value", &shared),
        ("payments-key", &schema(2)),
    ] {
        let r = call(
            app,
            admin,
            Method::POST,
            &format!("/subjects/{subject}/versions"),
            Some(json!({"schema": text})),
        )
        .await;
        ids.push(r.body["id"].as_u64().unwrap());
    }
    let (shared_id, payments_only) = (ids[0], ids[2]);
    let r = call(app, reader, Method::GET, "/subjects", None).await;
    assert_eq!((r.status, r.body), (200, json!(["orders-value"])));
    let r = call(app, admin, Method::GET, "/subjects", None).await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!(["orders-value", "payments-key", "payments-value"])
        )
    );
    let r = call(app, As::User("nobody"), Method::GET, "/subjects", None).await;
    assert_eq!((r.status, r.body), (200, json!([])));
    let r = call(app, reader, Method::GET, "/schemas", None).await;
    let subjects: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["subject"].as_str().unwrap())
        .collect();
    assert_eq!((r.status, subjects), (200, vec!["orders-value"]));
    // An id is readable through any subject the principal may read.
    let r = call(
        app,
        reader,
        Method::GET,
        &format!("/schemas/ids/{shared_id}"),
        None,
    )
    .await;
    assert_eq!((r.status, r.body), (200, json!({ "schema": shared })));
    let r = call(
        app,
        reader,
        Method::GET,
        &format!("/schemas/ids/{shared_id}/subjects"),
        None,
    )
    .await;
    assert_eq!((r.status, r.body), (200, json!(["orders-value"])));
    let r = call(
        app,
        reader,
        Method::GET,
        &format!("/schemas/ids/{shared_id}/versions"),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (200, json!([{"subject": "orders-value", "version": 1}]))
    );
    // Not through others; and an id that does not exist looks the same.
    for id in [payments_only, 999] {
        for path in [
            format!("/schemas/ids/{id}"),
            format!("/schemas/ids/{id}/schema"),
            format!("/schemas/ids/{id}/subjects"),
        ] {
            let r = call(app, reader, Method::GET, &path, None).await;
            assert_eq!(
                (r.status, r.body),
                denied("Read", &format!("Schema: {id}")),
                "{path}"
            );
        }
    }
    // A subject name that is not UTF-8 matches no grant; an admin is told it is invalid.
    let r = call(
        app,
        reader,
        Method::GET,
        "/subjects/orders-%FF/versions",
        None,
    )
    .await;
    assert_eq!((r.status, r.body), denied("Read", "Subject: (not UTF-8)"));
    let r = call(
        app,
        admin,
        Method::GET,
        "/subjects/orders-%FF/versions",
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({"error_code": 400, "message": "Path is not valid UTF-8"})
        )
    );
    // Global reads need a grant of some kind.
    let r = call(app, reader, Method::GET, "/config", None).await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    let r = call(app, As::User("nobody"), Method::GET, "/config", None).await;
    assert_eq!((r.status, r.body), denied("Read", "Registry"));
}

#[tokio::test]
async fn import_mode_is_for_admins() {
    let s = secured().await;
    let app = &s.app;
    let r = call(
        app,
        As::User("manager"),
        Method::PUT,
        "/mode/orders-new",
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    assert_eq!((r.status, r.body), denied("Import", "Subject: orders-new"));
    let r = call(
        app,
        As::User("admin"),
        Method::PUT,
        "/mode/orders-new",
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    assert_eq!((r.status, r.body), (200, json!({"mode": "IMPORT"})));
}

#[tokio::test]
async fn open_routes_need_no_credentials_and_the_rest_do() {
    let s = secured().await;
    let app = &s.app;
    for path in ["/", "/health/live", "/health/ready", "/v1/metadata/version"] {
        let r = call(app, As::Anonymous, Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{path}");
    }
    for path in [
        "/subjects",
        "/schemas/ids/1",
        "/config",
        "/ui",
        "/openapi.json",
        "/metrics",
        "/no/such/route",
    ] {
        let r = call(app, As::Anonymous, Method::GET, path, None).await;
        assert_eq!((r.status, r.body), unauthorized(), "{path}");
    }
    // The UI and the document follow the same rules: any principal.
    for path in ["/ui", "/openapi.json"] {
        let r = call(app, As::User("nobody"), Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{path}");
    }
}

#[tokio::test]
async fn every_bad_credential_is_the_same_401() {
    let s = secured().await;
    let app = &s.app;
    let long = format!("Basic {}", "A".repeat(6000));
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("scheme alone", b"Basic".to_vec()),
        ("not base64", b"Basic !!!!".to_vec()),
        ("no colon", format!("Basic {}", b64("reader")).into_bytes()),
        (
            "not UTF-8 user",
            [b"Basic ".as_slice(), b64_bytes(b"\xff\xfe:pw").as_bytes()].concat(),
        ),
        ("not UTF-8 header", b"Basic \xff\xfe".to_vec()),
        ("unknown scheme", b"Digest username=\"reader\"".to_vec()),
        ("empty bearer", b"Bearer ".to_vec()),
        ("bearer not a JWT", b"Bearer abc.def".to_vec()),
        ("very long", long.into_bytes()),
    ];
    for (what, header) in bad {
        let r = call(app, As::Header(&header), Method::GET, "/subjects", None).await;
        assert_eq!((r.status, r.body), unauthorized(), "{what}");
    }
    let r = call(
        app,
        As::Password("reader", "wrong"),
        Method::GET,
        "/subjects",
        None,
    )
    .await;
    assert_eq!((r.status, r.body), unauthorized(), "wrong password");
    let r = call(
        app,
        As::Password("ghost", "pw-ghost"),
        Method::GET,
        "/subjects",
        None,
    )
    .await;
    assert_eq!((r.status, r.body), unauthorized(), "unknown user");
    // The right password after wrong ones, and again (from the cache).
    for _ in 0..2 {
        let r = call(app, As::User("reader"), Method::GET, "/subjects", None).await;
        assert_eq!((r.status, r.body), (200, json!([])));
    }
}

fn b64(text: &str) -> String {
    b64_bytes(text.as_bytes())
}

fn b64_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn token(claims: Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(key)).unwrap()
}

fn claims(sub: &str) -> Value {
    json!({ "sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600, "nbf": now() - 10, "groups": ["platform"] })
}

#[tokio::test]
async fn bearer_tokens_name_a_principal_and_its_groups() {
    let s = secured().await;
    let app = &s.app;
    let bearer = |t: String| format!("Bearer {t}").into_bytes();
    // `ci-bot` has no grant of its own; its group `platform` writes payments-value.
    let good = bearer(token(claims("ci-bot"), SECRET));
    let r = call(
        app,
        As::Header(&good),
        Method::POST,
        "/subjects/payments-value/versions",
        Some(json!({"schema": schema(1)})),
    )
    .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    let r = call(
        app,
        As::Header(&good),
        Method::POST,
        "/subjects/orders-value/versions",
        Some(json!({"schema": schema(1)})),
    )
    .await;
    assert_eq!((r.status, r.body), denied("Write", "Subject: orders-value"));
    // A principal claim naming a user takes that user's grants.
    let admin = bearer(token(claims("admin"), SECRET));
    let r = call(app, As::Header(&admin), Method::GET, "/subjects", None).await;
    assert_eq!((r.status, r.body), (200, json!(["payments-value"])));

    let mut expired = claims("admin");
    expired["exp"] = json!(now() - 3600);
    let mut early = claims("admin");
    early["nbf"] = json!(now() + 3600);
    let mut issuer = claims("admin");
    issuer["iss"] = json!("https://other.example.com");
    let mut audience = claims("admin");
    audience["aud"] = json!("other");
    let mut no_exp = claims("admin");
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut no_sub = claims("admin");
    no_sub.as_object_mut().unwrap().remove("sub");
    // `alg: none`, unsigned.
    let none = format!(
        "{}.{}.",
        b64url(br#"{"alg":"none","typ":"JWT"}"#),
        b64url(claims("admin").to_string().as_bytes())
    );
    let bad = [
        ("expired", token(expired, SECRET)),
        ("not yet valid", token(early, SECRET)),
        ("other issuer", token(issuer, SECRET)),
        ("other audience", token(audience, SECRET)),
        ("no exp", token(no_exp, SECRET)),
        ("no principal", token(no_sub, SECRET)),
        (
            "wrong key",
            token(
                claims("admin"),
                b"another secret of thirty-two bytes, or more",
            ),
        ),
        ("alg none", none),
    ];
    for (what, t) in bad {
        let r = call(app, As::Header(&bearer(t)), Method::GET, "/subjects", None).await;
        assert_eq!((r.status, r.body), unauthorized(), "{what}");
    }
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn without_an_auth_file_everything_is_open_as_before() {
    let app = TestApp::spawn().await;
    let r = call(
        &app,
        As::Anonymous,
        Method::PUT,
        "/config",
        Some(json!({"compatibility": "NONE"})),
    )
    .await;
    assert_eq!((r.status, r.body), (200, json!({"compatibility": "NONE"})));
}

#[test]
fn a_malformed_auth_file_stops_the_start_with_its_line() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("auth.toml");
    std::fs::write(
        &path,
        "[[grants]]\nprincipal = \"ci\"\nrole = \"owner\"\nsubjects = \"*\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schemata"))
        .args(["serve", "--listen", "127.0.0.1:0", "--auth-file"])
        .arg(&path)
        .arg("--storage")
        .arg(format!("file://{}", dir.path().join("data").display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("auth file") && stderr.contains("line 3") && stderr.contains("owner"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_file_is_re_read_on_sighup_and_a_bad_one_leaves_the_old_in_force() {
    let dir = TempDir::new().unwrap();
    let path = auth_file(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut serve = crate::logs::Serve::start(&data, &["--auth-file", path.to_str().unwrap()]);
    let app = TestApp::attach(&serve.base);
    let admin = As::User("admin");
    let r = call(&app, admin, Method::GET, "/config", None).await;
    assert_eq!(r.status, 200);
    let hangup = |pid: u32| {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    // A file that does not parse: the old one stays.
    std::fs::write(&path, "[[users]\n").unwrap();
    hangup(serve.child.id());
    wait_for(&mut serve, "auth file not re-read");
    let r = call(&app, admin, Method::GET, "/config", None).await;
    assert_eq!(r.status, 200);
    // A file that grants nothing to anyone: everything is denied, even to a known password.
    let hash = schemata::auth::password::hash(b"pw-admin").unwrap();
    std::fs::write(
        &path,
        format!("[[users]]\nname = \"admin\"\npassword_hash = \"{hash}\"\n"),
    )
    .unwrap();
    hangup(serve.child.id());
    wait_for(&mut serve, "auth file re-read");
    let r = call(&app, admin, Method::GET, "/config", None).await;
    assert_eq!((r.status, r.body), denied("Read", "Registry"));
}

fn wait_for(serve: &mut crate::logs::Serve, text: &str) {
    loop {
        if serve.line().contains(text) {
            return;
        }
    }
}

/// `schemata` run with `args` off the runtime's threads (the server answers from them).
async fn schemata_cli(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(args)
            .env_remove("SCHEMATA_BASIC_AUTH")
            .env_remove("SCHEMATA_BEARER_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn check_and_register_send_the_credentials_they_are_given() {
    let s = secured().await;
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("v1.avsc");
    std::fs::write(&file, schema(1)).unwrap();
    let run = |cmd: &str, credentials: &[&str]| {
        let mut args: Vec<String> = [cmd, "--url", &s.app.base, "--subject", "orders-value"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.extend(credentials.iter().map(|a| a.to_string()));
        args.push(file.display().to_string());
        schemata_cli(args)
    };
    let out = run("register", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr,
        "error: the registry answered 401: {\"error_code\":401,\"message\":\"Unauthorized\"}\n"
    );
    let out = run("register", &["--basic-auth", "reader:pw-reader"]).await;
    assert_eq!(
        (out.status.code(), String::from_utf8_lossy(&out.stderr).as_ref()),
        (Some(2), "error: the registry answered 403: {\"error_code\":40301,\"message\":\"User is denied operation Write on Subject: orders-value\"}\n")
    );
    let out = run("register", &["--basic-auth", "writer:pw-writer"]).await;
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (
            Some(0),
            format!(
                "registered under orders-value with id 1\n{}: compatible (BACKWARD)\n",
                file.display()
            )
            .as_str()
        )
    );
    let token = token(claims("reader"), SECRET);
    let out = run("check", &["--bearer-token", &token]).await;
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (
            Some(0),
            format!("{}: compatible (BACKWARD)\n", file.display()).as_str()
        )
    );
}

#[tokio::test]
async fn browser_preflights_are_answered_for_the_allowed_origins_only() {
    let keys = TempDir::new().unwrap();
    let path = auth_file(keys.path());
    let app = TestApp::spawn_changed(|o| {
        o.auth_file = Some(path);
        o.cors_allow_origins = vec!["https://ui.example.com".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, format!("{}/subjects", app.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let r = preflight("https://ui.example.com").await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://ui.example.com");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(
        h["access-control-allow-headers"],
        "authorization,content-type,accept"
    );
    let r = preflight("https://evil.example.com").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // The request itself still needs credentials.
    let r = app
        .client
        .get(format!("{}/subjects", app.base))
        .header("Origin", "https://ui.example.com")
        .basic_auth("reader", Some("pw-reader"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://ui.example.com"
    );
    assert_eq!(r.headers()["access-control-expose-headers"], "x-request-id");
}

#[tokio::test]
async fn without_cors_origins_no_cors_headers() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(format!("{}/subjects", app.base))
        .header("Origin", "https://ui.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
    assert!(r.headers().get("vary").is_none());
}

/// The next audit line (JSON) the server writes.
fn audit_line(serve: &mut crate::logs::Serve) -> Value {
    loop {
        let line = serve.line();
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            if v["target"] == "schemata::audit" {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn writes_and_refusals_leave_one_audit_line_each_without_secrets() {
    let dir = TempDir::new().unwrap();
    let path = auth_file(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut serve = crate::logs::Serve::start(
        &data,
        &[
            "--auth-file",
            path.to_str().unwrap(),
            "--log-format",
            "json",
        ],
    );
    let app = TestApp::attach(&serve.base);
    let send = |who: As<'static>, method: Method, path: &'static str, id: &'static str| {
        let mut req = app
            .client
            .request(method, format!("{}{path}", app.base))
            .header("Content-Type", CONTENT_TYPE)
            .header("X-Request-Id", id)
            .body(json!({"schema": schema(1)}).to_string());
        if let As::User(u) = who {
            req = req.basic_auth(u, Some(format!("pw-{u}")));
        }
        if let As::Password(u, p) = who {
            req = req.basic_auth(u, Some(p));
        }
        req.send()
    };
    let r = send(
        As::User("writer"),
        Method::POST,
        "/subjects/orders-value/versions",
        "w-1",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let line = audit_line(&mut serve);
    let fields = |l: &Value| {
        [
            "principal",
            "operation",
            "resource",
            "outcome",
            "status",
            "reason",
            "request_id",
        ]
        .map(|k| l[k].clone())
    };
    assert_eq!(
        fields(&line),
        [
            json!("writer"),
            json!("Write"),
            json!("Subject: orders-value"),
            json!("done"),
            json!(200),
            Value::Null,
            json!("w-1")
        ]
    );
    // Registering a known schema again changes nothing, and reads leave no line either: the
    // next line is the refusal.
    let r = send(
        As::User("writer"),
        Method::POST,
        "/subjects/orders-value/versions",
        "w-2",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = send(
        As::User("reader"),
        Method::GET,
        "/subjects/orders-value/versions",
        "r-1",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = send(
        As::User("reader"),
        Method::DELETE,
        "/subjects/orders-value",
        "r-2",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let line = audit_line(&mut serve);
    assert_eq!(
        fields(&line),
        [
            json!("reader"),
            json!("Write"),
            json!("Subject: orders-value"),
            json!("denied"),
            json!(403),
            Value::Null,
            json!("r-2")
        ]
    );
    let r = send(
        As::Password("writer", "a-wrong-secret"),
        Method::GET,
        "/subjects",
        "x-1",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    let line = audit_line(&mut serve);
    assert_eq!(
        fields(&line),
        [
            Value::Null,
            json!("Authenticate"),
            Value::Null,
            json!("unauthenticated"),
            json!(401),
            json!("unknown user or wrong password"),
            json!("x-1")
        ]
    );
    assert!(!line.to_string().contains("a-wrong-secret"));
}

#[tokio::test]
async fn tokens_signed_by_a_key_of_the_jwks_file() {
    // An ES256 key made now; its public half is the JWKS file's only key.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let point = key.public_key_raw();
    assert_eq!(
        (point.len(), point[0]),
        (65, 4),
        "an uncompressed P-256 point"
    );
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "x": b64url(&point[1..33]), "y": b64url(&point[33..])}]});
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("jwks.json"), jwks.to_string()).unwrap();
    let path = dir.path().join("auth.toml");
    std::fs::write(
        &path,
        format!("[jwt]\njwks_file = \"jwks.json\"\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\n\n[[grants]]\nprincipal = \"svc\"\nrole = \"reader\"\nsubjects = \"*\"\n"),
    )
    .unwrap();
    let app = TestApp::spawn_changed(|o| o.auth_file = Some(path)).await;
    let signed = |kid: Option<&str>, signer: &rcgen::KeyPair| {
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = kid.map(str::to_string);
        let t = jsonwebtoken::encode(
            &header,
            &claims("svc"),
            &EncodingKey::from_ec_der(&signer.serialize_der()),
        )
        .unwrap();
        format!("Bearer {t}").into_bytes()
    };
    for kid in [Some("k1"), None] {
        let r = call(
            &app,
            As::Header(&signed(kid, &key)),
            Method::GET,
            "/subjects",
            None,
        )
        .await;
        assert_eq!((r.status, r.body), (200, json!([])), "kid {kid:?}");
    }
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let bad = [
        ("another key", signed(Some("k1"), &other)),
        ("an unknown kid", signed(Some("k2"), &key)),
        // HS256 with the public key's bytes as the secret: the key confusion attack.
        (
            "HS256",
            format!("Bearer {}", token(claims("svc"), point)).into_bytes(),
        ),
    ];
    for (what, header) in bad {
        let r = call(&app, As::Header(&header), Method::GET, "/subjects", None).await;
        assert_eq!((r.status, r.body), unauthorized(), "{what}");
    }
}

#[test]
fn hash_password_prints_an_argon2id_hash_of_the_line_read() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_schemata"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret pass\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let hash = text.strip_suffix('\n').unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let stored = schemata::auth::password::StoredHash::parse(hash).unwrap();
    assert!(stored.verify(b"s3cret pass"));
    assert!(!stored.verify(b"s3cret pass\n"));
}

/// An alias leads to the subject it names: whoever may change an alias's config must not reach
/// through it a subject outside their grants. The refusal names only the path's subject.
#[tokio::test]
async fn an_alias_does_not_reach_past_the_grants() {
    let s = secured().await;
    let app = &s.app;
    let r = call(
        app,
        As::User("manager"),
        Method::PUT,
        "/config/orders-leak",
        Some(json!({"alias": "payments-value"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({"alias": "payments-value"}))
    );
    let r = call(
        app,
        As::User("admin"),
        Method::POST,
        "/subjects/payments-value/versions",
        Some(json!({"schema": schema(1)})),
    )
    .await;
    assert_eq!((r.status, r.body), (200, json!({"id": 1})));
    for (who, method, path, body, operation) in [
        (
            "manager",
            Method::GET,
            "/subjects/orders-leak/versions/1",
            None,
            "Read",
        ),
        (
            "reader",
            Method::GET,
            "/subjects/orders-leak/versions",
            None,
            "Read",
        ),
        (
            "writer",
            Method::POST,
            "/subjects/orders-leak/versions",
            Some(json!({"schema": schema(2)})),
            "Write",
        ),
        (
            "manager",
            Method::POST,
            "/compatibility/subjects/orders-leak/versions/latest",
            Some(json!({"schema": schema(2)})),
            "Read",
        ),
    ] {
        let r = call(app, As::User(who), method, path, body).await;
        assert_eq!(
            (r.status, r.body),
            denied(operation, "Subject: orders-leak"),
            "{who} {path}"
        );
    }
    // The admin may read the named subject, through the alias too.
    let r = call(
        app,
        As::User("admin"),
        Method::GET,
        "/subjects/orders-leak/versions/1",
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body["subject"].clone(), r.body["id"].clone()),
        (200, json!("payments-value"), json!(1))
    );
}

/// With `--access-log`, each line names who asked: the principal of an authenticated request,
/// also when it was denied, and none for a request that failed to authenticate.
#[tokio::test]
async fn access_lines_name_the_principal() {
    let dir = TempDir::new().unwrap();
    let path = auth_file(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let serve = crate::logs::Serve::start(
        &data,
        &[
            "--auth-file",
            path.to_str().unwrap(),
            "--access-log",
            "true",
            "--log-format",
            "json",
        ],
    );
    let app = TestApp::attach(&serve.base);
    let asked = [
        (As::User("reader"), "/subjects", 200),
        (As::User("nobody"), "/subjects/orders-value/versions", 403),
        (As::Password("reader", "wrong"), "/subjects", 401),
    ];
    for (who, path, status) in asked {
        assert_eq!(
            call(&app, who, Method::GET, path, None).await.status,
            status
        );
    }
    let lines: Vec<(Value, Value)> = serve
        .rest()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["target"] == "schemata::access")
        .map(|l| (l["status"].clone(), l["principal"].clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (json!(200), json!("reader")),
            (json!(403), json!("nobody")),
            (json!(401), Value::Null),
        ]
    );
}

/// A flood of wrong passwords waits its turn: password checks run at most one per core, so 64
/// at once are each refused with 401 without taking a blocking thread (and argon2's 19 MiB)
/// apiece.
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_wrong_passwords_is_checked_a_few_at_a_time() {
    let dir = TempDir::new().unwrap();
    let path = auth_file(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let serve = crate::logs::Serve::start(&data, &["--auth-file", path.to_str().unwrap()]);
    let status = format!("/proc/{}/status", serve.child.id());
    let threads = || {
        let text = std::fs::read_to_string(&status).unwrap();
        let line = text.lines().find(|l| l.starts_with("Threads:")).unwrap();
        line["Threads:".len()..].trim().parse::<usize>().unwrap()
    };
    let before = threads();
    let app = std::sync::Arc::new(TestApp::attach(&serve.base));
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..64 {
        let app = app.clone();
        calls.spawn(async move {
            let password = format!("wrong-{i}");
            let who = As::Password("reader", &password);
            call(&app, who, Method::GET, "/subjects", None).await.status
        });
    }
    while let Some(status) = calls.join_next().await {
        assert_eq!(status.unwrap(), 401);
    }
    let cores = std::thread::available_parallelism().unwrap().get();
    let after = threads();
    assert!(
        after <= before + cores + 2,
        "{before} threads before, {after} after 64 wrong passwords on {cores} cores"
    );
}
