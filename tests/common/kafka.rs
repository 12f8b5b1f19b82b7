//! A fresh Kafka topic per test on the broker `KAFKA_BOOTSTRAP` names (`scripts/kafka.sh` starts
//! one and prints it). Without the variable, or when no broker answers, `TestTopic::create`
//! prints one line and returns `None` — unless `SCHEMATA_REQUIRE_KAFKA=1` (as on CI), which
//! makes it fail.

#![allow(dead_code)] // each test binary uses part of it

pub struct TestTopic {
    pub bootstrap: String,
    pub topic: String,
}

fn required() -> bool {
    std::env::var("SCHEMATA_REQUIRE_KAFKA").is_ok_and(|v| v == "1")
}

impl TestTopic {
    pub fn create() -> Option<TestTopic> {
        let Ok(bootstrap) = std::env::var("KAFKA_BOOTSTRAP") else {
            assert!(
                !required(),
                "SCHEMATA_REQUIRE_KAFKA=1 but KAFKA_BOOTSTRAP is not set"
            );
            eprintln!("skipped: KAFKA_BOOTSTRAP is not set (Kafka tests; scripts/kafka.sh starts a broker)");
            return None;
        };
        let first = bootstrap.split(',').next().unwrap_or_default().to_string();
        if let Err(e) = std::net::TcpStream::connect(&first) {
            assert!(
                !required(),
                "SCHEMATA_REQUIRE_KAFKA=1 but no Kafka broker answers at {first}: {e}"
            );
            eprintln!("skipped: no Kafka broker answers at {first}: {e}");
            return None;
        }
        // The topic itself is created by the store, as in production.
        let topic = format!(
            "schemata_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        Some(TestTopic { bootstrap, topic })
    }

    pub fn url(&self) -> String {
        format!("kafka://{}/{}", self.bootstrap, self.topic)
    }
}
