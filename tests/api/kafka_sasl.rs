//! The Kafka storage against a broker that wants SASL (`KAFKA_SASL_BOOTSTRAP`; `KAFKA_SASL=1
//! scripts/kafka.sh` starts one, user `schemata`): each mechanism Schemata offers logs in and
//! serves, and a wrong password stops the start with Kafka's reason. Skipped with one line
//! without the variable, unless SCHEMATA_REQUIRE_KAFKA=1.

use schemata::app::{Options, Server};

use crate::helpers::TestApp;

/// A fresh topic's storage URL on the SASL broker, or `None` (after one line).
fn sasl_topic(name: &str) -> Option<String> {
    let Ok(bootstrap) = std::env::var("KAFKA_SASL_BOOTSTRAP") else {
        assert!(
            !std::env::var("SCHEMATA_REQUIRE_KAFKA").is_ok_and(|v| v == "1"),
            "SCHEMATA_REQUIRE_KAFKA=1 but KAFKA_SASL_BOOTSTRAP is not set"
        );
        eprintln!("skipped: KAFKA_SASL_BOOTSTRAP is not set (KAFKA_SASL=1 scripts/kafka.sh starts a SASL broker)");
        return None;
    };
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Some(format!(
        "kafka://{bootstrap}/schemata_sasl_{name}_{}_{unique}",
        std::process::id()
    ))
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
        let mut app = TestApp::with(options(&url, mechanism, "schemata-secret")).await;
        assert_eq!(
            app.register_ok("orders-value", "\"string\"").await,
            1,
            "{mechanism}"
        );
        // A new server on the same topic reads it back (`restart` would drop the SASL options).
        app.stop().await;
        let app = TestApp::with(options(&url, mechanism, "schemata-secret")).await;
        let r = app.get("/subjects/orders-value/versions/1").await;
        assert_eq!(
            (r.status, r.body),
            (
                200,
                serde_json::json!({"subject": "orders-value", "version": 1, "id": 1, "schema": "\"string\""})
            ),
            "{mechanism}: read back after a restart"
        );
    }
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
