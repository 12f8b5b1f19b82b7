//! The Kafka storage against secured brokers. One wants SASL (`KAFKA_SASL_BOOTSTRAP`;
//! `KAFKA_SASL=1 scripts/kafka.sh` starts one, user `schemata`): each mechanism Schemata offers
//! logs in and serves, and a wrong password stops the start with Kafka's reason. One speaks
//! only TLS and wants a client certificate (`KAFKA_TLS_BOOTSTRAP`, its test CA and client
//! certificate in `KAFKA_TLS_DIR`; `KAFKA_TLS=1 scripts/kafka.sh` starts one): with the CA and
//! the certificate Schemata serves, without the certificate it stops with the broker's refusal.
//! Each test is skipped with one line without its variables, unless SCHEMATA_REQUIRE_KAFKA=1.

use schemata::app::{Options, Server};

use crate::helpers::TestApp;

/// The variable `name`, or `None` (after one line) when it is not set.
fn setting(name: &str, how: &str) -> Option<String> {
    let value = std::env::var(name).ok();
    if value.is_none() {
        assert!(
            !std::env::var("SCHEMATA_REQUIRE_KAFKA").is_ok_and(|v| v == "1"),
            "SCHEMATA_REQUIRE_KAFKA=1 but {name} is not set"
        );
        eprintln!("skipped: {name} is not set ({how})");
    }
    value
}

/// A fresh topic's storage URL on the broker at `bootstrap`.
fn topic_on(bootstrap: &str, name: &str) -> String {
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "kafka://{bootstrap}/schemata_secured_{name}_{}_{unique}",
        std::process::id()
    )
}

/// A fresh topic's storage URL on the SASL broker, or `None` (after one line).
fn sasl_topic(name: &str) -> Option<String> {
    let how = "KAFKA_SASL=1 scripts/kafka.sh starts a SASL broker";
    Some(topic_on(&setting("KAFKA_SASL_BOOTSTRAP", how)?, name))
}

fn options(url: &str, mechanism: &str, password: &str) -> Options {
    let mut options = Options::new(url);
    options.kafka.sasl_mechanism = Some(mechanism.into());
    options.kafka.username = Some("schemata".into());
    options.kafka.password = Some(password.into());
    options
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sasl_mechanism_logs_in_and_serves() {
    for mechanism in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let Some(url) = sasl_topic(&mechanism.to_lowercase().replace('-', "_")) else {
            return;
        };
        writes_and_reads_back(options(&url, mechanism, "schemata-secret")).await;
    }
}

/// A server with `options` registers a schema, and a new one on the same topic reads it back
/// (`TestApp::restart` would drop the Kafka options).
async fn writes_and_reads_back(options: Options) {
    let mut app = TestApp::with(options.clone()).await;
    assert_eq!(app.register_ok("orders-value", "\"string\"").await, 1);
    app.stop().await;
    let app = TestApp::with(options).await;
    let r = app.get("/subjects/orders-value/versions/1").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            serde_json::json!({"subject": "orders-value", "version": 1, "id": 1, "schema": "\"string\""})
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_stops_the_start_with_kafkas_reason() {
    let Some(url) = sasl_topic("wrong") else {
        return;
    };
    let error = match Server::open(&options(&url, "SCRAM-SHA-256", "not-the-password")).await {
        Ok(_) => panic!("the server started with a wrong password"),
        Err(e) => format!("{e:#}"),
    };
    // Kafka's reason comes after the request it spoiled (which only says "transport failure").
    let bootstrap = std::env::var("KAFKA_SASL_BOOTSTRAP").unwrap();
    assert!(
        error.starts_with(&format!(
            "opening storage: cannot reach Kafka at {bootstrap}: "
        )),
        "{error}"
    );
    assert!(
        error.contains("SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"),
        "{error}"
    );
    assert!(!error.contains("not-the-password"), "{error}");
}

/// The TLS broker's topic URL and the folder of its test certificates, or `None`.
fn tls_topic(name: &str) -> Option<(String, std::path::PathBuf)> {
    let how = "KAFKA_TLS=1 scripts/kafka.sh starts a TLS broker";
    let bootstrap = setting("KAFKA_TLS_BOOTSTRAP", how)?;
    let dir = setting("KAFKA_TLS_DIR", how)?;
    Some((topic_on(&bootstrap, name), dir.into()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_broker_that_wants_a_client_certificate_is_served_with_one() {
    let Some((url, dir)) = tls_topic("mtls") else {
        return;
    };
    let tls = |options: &mut Options| {
        options.kafka.ca = Some(dir.join("ca.pem"));
        options.kafka.cert = Some(dir.join("client.pem"));
        options.kafka.key = Some(dir.join("client.key"));
    };
    let mut with_certificate = Options::new(&url);
    tls(&mut with_certificate);
    writes_and_reads_back(with_certificate).await;

    // The CA alone: the broker refuses the handshake, and the start says so.
    let mut without = Options::new(&url);
    without.kafka.ca = Some(dir.join("ca.pem"));
    let error = match Server::open(&without).await {
        Ok(_) => panic!("the server started without a client certificate"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        error.starts_with("opening storage: cannot reach Kafka at "),
        "{error}"
    );
    assert!(error.contains("alert bad certificate"), "{error}");
}
