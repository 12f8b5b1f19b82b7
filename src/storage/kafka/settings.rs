//! What `--storage kafka://...` and the `--kafka-*` options say: where the brokers are, which
//! topic, how to connect (TLS, SASL) and how to create the topic. Compiled without the `kafka`
//! feature too, so the command line is the same in every build.

use std::fmt;
use std::path::PathBuf;

/// The topic when the URL names none, as Confluent's `kafkastore.topic`.
pub const DEFAULT_TOPIC: &str = "_schemas";

/// How to reach and set up the Kafka topic. `Debug` leaves the password out.
#[derive(Clone, Default)]
pub struct Settings {
    /// The topic's replication factor when Schemata creates it (`None`: the broker's
    /// `default.replication.factor`).
    pub replication_factor: Option<i16>,
    /// Accept an existing topic whose `cleanup.policy` is not `compact` (it grows forever).
    pub allow_uncompacted: bool,
    /// Connect with TLS (implied by `ca` or `cert`).
    pub tls: bool,
    /// PEM CA certificates to trust for the brokers, instead of the system's.
    pub ca: Option<PathBuf>,
    /// A PEM client certificate and its key (mutual TLS).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`, with `username` and `password`.
    pub sasl_mechanism: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Where the other nodes reach this one's API (`--advertised-url`). Set, the node stands
    /// in the election of the topic's one writer and forwards its writes to whoever is
    /// elected; unset, it writes itself (fenced by whichever node writes next).
    pub advertised_url: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("replication_factor", &self.replication_factor)
            .field("allow_uncompacted", &self.allow_uncompacted)
            .field("tls", &self.tls)
            .field("ca", &self.ca)
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("advertised_url", &self.advertised_url)
            .finish()
    }
}

/// The brokers and topic a `kafka://host:port[,host:port]/topic` URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub bootstrap: String,
    pub topic: String,
}

impl Address {
    /// Reads a `kafka://` URL; the error says what is wrong with it.
    pub fn parse(url: &str) -> Result<Address, String> {
        let rest = url
            .strip_prefix("kafka://")
            .ok_or_else(|| format!("'{url}' is not a kafka:// URL"))?;
        let (hosts, topic) = rest.split_once('/').unwrap_or((rest, ""));
        let topic = if topic.is_empty() {
            DEFAULT_TOPIC
        } else {
            topic
        };
        if hosts.is_empty() || hosts.split(',').any(|h| !valid_host(h)) {
            return Err(format!(
                "'{url}' does not name its brokers as kafka://host:port[,host:port]/topic"
            ));
        }
        // Kafka's own rule for topic names.
        if topic.len() > 249
            || topic == "."
            || topic == ".."
            || !topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(format!(
                "'{topic}' is not a valid Kafka topic name (letters, digits, '.', '_', '-', at most 249)"
            ));
        }
        Ok(Address {
            bootstrap: hosts.to_string(),
            topic: topic.to_string(),
        })
    }
}

fn valid_host(host: &str) -> bool {
    match host.rsplit_once(':') {
        Some((name, port)) => !name.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_brokers_and_topic() {
        assert_eq!(
            Address::parse("kafka://a:9092,b:9093/_schemas").unwrap(),
            Address {
                bootstrap: "a:9092,b:9093".into(),
                topic: "_schemas".into()
            }
        );
        assert_eq!(Address::parse("kafka://a:9092").unwrap().topic, "_schemas");
        assert_eq!(Address::parse("kafka://a:9092/").unwrap().topic, "_schemas");
        assert_eq!(
            Address::parse("kafka://a/_schemas").unwrap_err(),
            "'kafka://a/_schemas' does not name its brokers as kafka://host:port[,host:port]/topic"
        );
        assert_eq!(
            Address::parse("kafka://a:1/x/y").unwrap_err(),
            "'x/y' is not a valid Kafka topic name (letters, digits, '.', '_', '-', at most 249)"
        );
    }

    #[test]
    fn debug_leaves_the_password_out() {
        let settings = Settings {
            password: Some("hunter2".into()),
            ..Settings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password: Some(\"***\")"), "{shown}");
    }
}
