//! Confluent's Python client (confluent-kafka from PyPI) against a registry that requires
//! credentials: `basic.auth.user.info`, and a static bearer token
//! (`bearer.auth.credentials.source=STATIC_TOKEN`). Skipped with one line when Python or
//! confluent-kafka is missing, unless SCHEMATA_REQUIRE_PYTHON is set.

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{json, Value};
use std::process::Command;
use tempfile::TempDir;

use crate::helpers::TestApp;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/auth.py");
const SECRET: &[u8] = b"a secret of thirty-two bytes or more, for HS256";

async fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import confluent_kafka.schema_registry, fastavro"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("SCHEMATA_REQUIRE_PYTHON").is_none(),
            "confluent-kafka for Python is required"
        );
        eprintln!("skipped: python3 with confluent-kafka[avro,schemaregistry] not found");
    }
    ok
}

/// Runs the script off the runtime's threads: the server answers it from them.
async fn python(base: &str, how: &str, secret: &str) -> Value {
    let args = [SCRIPT, base, how, secret].map(str::to_string);
    let out = tokio::task::spawn_blocking(move || Command::new("python3").args(args).output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_client_with_basic_auth_and_a_static_bearer_token() {
    if !python_ready().await {
        return;
    }
    let dir = TempDir::new().unwrap();
    let hash = schemata::auth::password::hash(b"s3cret").unwrap();
    std::fs::write(dir.path().join("secret"), SECRET).unwrap();
    let file = format!(
        "[[users]]\nname = \"ci\"\npassword_hash = \"{hash}\"\n\n\
         [jwt]\nhs256_secret_file = \"secret\"\nissuer = \"idp\"\naudience = \"schemata\"\n\n\
         [[grants]]\nprincipal = \"ci\"\nrole = \"writer\"\nsubjects = \"orders-*\"\n\n\
         [[grants]]\nprincipal = \"bot\"\nrole = \"writer\"\nsubjects = \"orders-*\"\n"
    );
    let path = dir.path().join("auth.toml");
    std::fs::write(&path, file).unwrap();
    let app = TestApp::spawn_changed(|o| o.auth_file = Some(path)).await;

    let r = python(&app.base, "basic", "ci:s3cret").await;
    assert_eq!(r, json!({"id": 1, "decoded": {"id": 7}}));
    let r = python(&app.base, "basic", "ci:wrong").await;
    assert_eq!(
        r,
        json!({"status": 401, "error_code": 401, "message": "Unauthorized"})
    );

    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = json!({"sub": "bot", "iss": "idp", "aud": "schemata", "exp": exp});
    let token = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let r = python(&app.base, "bearer", &token).await;
    assert_eq!(r, json!({"id": 1, "decoded": {"id": 7}}));
    let r = python(&app.base, "bearer", "not-a-token").await;
    assert_eq!(
        r,
        json!({"status": 401, "error_code": 401, "message": "Unauthorized"})
    );
}
