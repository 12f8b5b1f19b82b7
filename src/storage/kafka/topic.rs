//! The topic's shape, checked (or made) before anything is read: one partition, since the
//! records' order is the registry's history, and compacted, since the topic is the registry's
//! state, kept forever (a `delete` policy would lose it; no compaction would let it grow
//! without end).

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use std::sync::{Mutex, PoisonError};

use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use super::client::{failure, TIMEOUT};
use super::{Address, Settings};
use crate::storage::StoreError;

/// Creates the topic when it is missing and refuses one that cannot hold the registry.
pub async fn ensure(
    config: &ClientConfig,
    address: &Address,
    settings: &Settings,
) -> Result<(), StoreError> {
    let partitions = match describe(config, address).await? {
        Some(described) => described.partitions,
        None => {
            create(config, address, settings).await?;
            return led(config, address).await;
        }
    };
    let topic = &address.topic;
    if partitions != 1 {
        return Err(StoreError::Config(format!(
            "Kafka topic '{topic}' has {partitions} partitions; the registry's topic must have \
             exactly one (its records' order is the registry's history)"
        )));
    }
    let policy = cleanup_policy(config, address).await?;
    if policy != "compact" && !settings.allow_uncompacted {
        return Err(StoreError::Config(format!(
            "Kafka topic '{topic}' has cleanup.policy={policy}; the registry's topic must be \
             compacted (set cleanup.policy=compact on it, or pass \
             --kafka-allow-uncompacted-topic to use it anyway)"
        )));
    }
    Ok(())
}

/// The last error librdkafka reported on its own: a refused login shows only there (the
/// request it spoiled just says "broker transport failure").
#[derive(Default)]
struct LastError(Mutex<Option<String>>);

impl LastError {
    fn keep(&self, why: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(why.to_string());
    }
}

impl ClientContext for LastError {
    // librdkafka logs a refused login from its own threads as it happens.
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        tracing::debug!("Kafka client {fac}: {message}");
        if (level as i32) <= (RDKafkaLogLevel::Error as i32) {
            self.keep(message);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!("Kafka client: {error}: {reason}");
        self.keep(reason);
    }
}

impl ConsumerContext for LastError {}

/// What the brokers' metadata says of an existing topic.
struct Described {
    partitions: usize,
    /// Whether every partition has a leader (a topic just created has none for a moment, and
    /// reading its end then fails with "Unknown partition").
    led: bool,
}

/// Waits until the topic just created has a leader for its partition.
async fn led(config: &ClientConfig, address: &Address) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        if describe(config, address).await?.is_some_and(|d| d.led) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(StoreError::Backend(format!(
                "Kafka topic '{}' was created but has no leader after {} s",
                address.topic,
                TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The topic as the metadata describes it, `None` when it does not exist.
async fn describe(
    config: &ClientConfig,
    address: &Address,
) -> Result<Option<Described>, StoreError> {
    let consumer: BaseConsumer<LastError> = config
        .create_with_context(LastError::default())
        .map_err(|e| StoreError::Config(format!("Kafka client: {e}")))?;
    let topic = address.topic.clone();
    let bootstrap = address.bootstrap.clone();
    // A metadata request blocks: off the runtime's threads.
    tokio::task::spawn_blocking(move || {
        let metadata = consumer
            .fetch_metadata(Some(&topic), TIMEOUT)
            .map_err(|e| {
                // The client's own errors are delivered by a poll.
                let _ = consumer.poll(std::time::Duration::ZERO);
                let last = consumer
                    .context()
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                StoreError::Config(match last.as_deref() {
                    Some(why) => format!("cannot reach Kafka at {bootstrap}: {e}; {why}"),
                    None => format!("cannot reach Kafka at {bootstrap}: {e}"),
                })
            })?;
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            return Ok(None);
        };
        match found.error() {
            None => Ok(Some(Described {
                partitions: found.partitions().len(),
                led: found
                    .partitions()
                    .iter()
                    .all(|p| p.leader() >= 0 && p.error().is_none()),
            })),
            Some(e) if RDKafkaErrorCode::from(e) == RDKafkaErrorCode::UnknownTopicOrPartition => {
                Ok(None)
            }
            Some(e) => Err(StoreError::Backend(format!(
                "Kafka topic '{topic}': {}",
                RDKafkaErrorCode::from(e)
            ))),
        }
    })
    .await
    .map_err(|e| StoreError::Backend(format!("reading the topic's metadata: {e}")))?
}

fn admin(config: &ClientConfig) -> Result<AdminClient<DefaultClientContext>, StoreError> {
    config
        .create()
        .map_err(|e| StoreError::Config(format!("Kafka admin client: {e}")))
}

async fn create(
    config: &ClientConfig,
    address: &Address,
    settings: &Settings,
) -> Result<(), StoreError> {
    let replication = settings.replication_factor.map_or(-1, i32::from);
    // One replica may be down without stopping writes, as far as the factor allows.
    let min_insync = (replication - 1).max(1).to_string();
    let mut topic = NewTopic::new(&address.topic, 1, TopicReplication::Fixed(replication))
        .set("cleanup.policy", "compact");
    if settings.replication_factor.is_some() {
        topic = topic.set("min.insync.replicas", &min_insync);
    }
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let results = admin(config)?
        .create_topics([&topic], &options)
        .await
        .map_err(|e| failure("creating the topic", e))?;
    for result in results {
        match result {
            Ok(_) => tracing::info!(
                "created Kafka topic '{}' (1 partition, cleanup.policy=compact)",
                address.topic
            ),
            // Another node created it meanwhile, with the same settings.
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(StoreError::Config(format!(
                    "cannot create Kafka topic '{name}': {code}"
                )))
            }
        }
    }
    Ok(())
}

async fn cleanup_policy(config: &ClientConfig, address: &Address) -> Result<String, StoreError> {
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let results = admin(config)?
        .describe_configs([&ResourceSpecifier::Topic(&address.topic)], &options)
        .await
        .map_err(|e| failure("reading the topic's configuration", e))?;
    let resource = results
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Backend("Kafka returned no topic configuration".into()))?
        .map_err(|code| {
            StoreError::Backend(format!(
                "reading Kafka topic '{}''s configuration: {code}",
                address.topic
            ))
        })?;
    Ok(resource
        .get("cleanup.policy")
        .and_then(|e| e.value.clone())
        .unwrap_or_else(|| "delete".into()))
}
