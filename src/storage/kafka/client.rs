//! The librdkafka settings every client of the store shares (brokers, TLS, SASL), and how its
//! errors become [`StoreError`]s.

use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig;

use super::{Address, Settings};
use crate::storage::StoreError;

/// How long one request to the brokers (metadata, a transaction step, a read) may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The shared part of every client's configuration.
pub fn config(address: &Address, settings: &Settings) -> Result<ClientConfig, StoreError> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &address.bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("reconnect.backoff.max.ms", "1000");
    let tls = settings.tls || settings.ca.is_some() || settings.cert.is_some();
    let protocol = match (tls, settings.sasl_mechanism.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    };
    config.set("security.protocol", protocol);
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    if let Some(ca) = &settings.ca {
        config.set("ssl.ca.location", path(ca));
    }
    match (&settings.cert, &settings.key) {
        (Some(cert), Some(key)) => {
            config
                .set("ssl.certificate.location", path(cert))
                .set("ssl.key.location", path(key));
        }
        (None, None) => {}
        _ => {
            return Err(StoreError::Config(
                "--kafka-cert and --kafka-key go together".into(),
            ))
        }
    }
    if let Some(mechanism) = &settings.sasl_mechanism {
        let mechanism = mechanism.to_ascii_uppercase();
        if !["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].contains(&mechanism.as_str()) {
            return Err(StoreError::Config(format!(
                "unsupported SASL mechanism '{mechanism}': expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
            )));
        }
        let (Some(user), Some(password)) = (&settings.username, &settings.password) else {
            return Err(StoreError::Config(
                "SASL needs --kafka-sasl-username and --kafka-sasl-password".into(),
            ));
        };
        config
            .set("sasl.mechanism", mechanism)
            .set("sasl.username", user)
            .set("sasl.password", password);
    }
    Ok(config)
}

/// A broker error as a storage error: no answer in time is a timeout (50002 to a client), the
/// rest a backend failure (50001); each says what Kafka said, and a fenced write says that
/// another node took over.
pub fn failure(what: &str, e: KafkaError) -> StoreError {
    if is_fenced(e.rdkafka_error_code()) {
        return fenced(what, &e.to_string());
    }
    let timed_out = matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::MessageTimedOut
                | RDKafkaErrorCode::RequestTimedOut
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::BrokerTransportFailure
        )
    );
    if timed_out {
        StoreError::Timeout(format!("Kafka, {what}: {e}"))
    } else {
        StoreError::Backend(format!("Kafka, {what}: {e}"))
    }
}

/// Whether Kafka refused a write because a newer producer with the same transactional id
/// exists: another node took over.
pub fn is_fenced(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::Fenced
                | RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch
        )
    )
}

pub fn fenced(what: &str, reason: &str) -> StoreError {
    StoreError::Backend(format!(
        "Kafka, {what}: another Schemata node took over writing to the topic, so this write was \
         not made (it may be retried): {reason}"
    ))
}

/// The consumers' context: librdkafka's errors logged as rdkafka logs them, except the end of
/// the partition, which a read waits for on purpose (librdkafka also reports it as an error).
pub struct Context;

impl rdkafka::ClientContext for Context {
    fn error(&self, error: KafkaError, reason: &str) {
        if !matches!(error, KafkaError::PartitionEOF(_)) {
            tracing::error!("librdkafka: {error}: {reason}");
        }
    }
}

impl rdkafka::consumer::ConsumerContext for Context {}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> Address {
        Address::parse("kafka://a:9092,b:9092/_schemas").unwrap()
    }

    #[test]
    fn tls_and_sasl_choose_the_security_protocol() {
        let plain = config(&address(), &Settings::default()).unwrap();
        assert_eq!(plain.get("bootstrap.servers"), Some("a:9092,b:9092"));
        assert_eq!(plain.get("security.protocol"), Some("plaintext"));
        let settings = Settings {
            ca: Some("/etc/ca.pem".into()),
            sasl_mechanism: Some("scram-sha-512".into()),
            username: Some("registry".into()),
            password: Some("secret".into()),
            ..Settings::default()
        };
        let both = config(&address(), &settings).unwrap();
        assert_eq!(both.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(both.get("ssl.ca.location"), Some("/etc/ca.pem"));
        assert_eq!(both.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(both.get("sasl.username"), Some("registry"));
        let sasl_only = Settings {
            ca: None,
            ..settings
        };
        assert_eq!(
            config(&address(), &sasl_only)
                .unwrap()
                .get("security.protocol"),
            Some("sasl_plaintext")
        );
        let tls_only = Settings {
            tls: true,
            ..Settings::default()
        };
        assert_eq!(
            config(&address(), &tls_only)
                .unwrap()
                .get("security.protocol"),
            Some("ssl")
        );
    }

    #[test]
    fn unusable_sasl_settings_are_refused_with_a_reason() {
        let message = |settings: Settings| config(&address(), &settings).unwrap_err().to_string();
        assert_eq!(
            message(Settings {
                sasl_mechanism: Some("GSSAPI".into()),
                ..Settings::default()
            }),
            "unsupported SASL mechanism 'GSSAPI': expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
        );
        assert_eq!(
            message(Settings {
                sasl_mechanism: Some("PLAIN".into()),
                username: Some("u".into()),
                ..Settings::default()
            }),
            "SASL needs --kafka-sasl-username and --kafka-sasl-password"
        );
    }
}
