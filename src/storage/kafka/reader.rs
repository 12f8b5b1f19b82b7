//! Reading the topic: every committed record after a position, up to the end the broker reports
//! at the time of the read (the log's end for committed transactions), and a watcher that wakes
//! the registry when other nodes commit.
//!
//! A read assigns the partition at the position asked for and consumes until librdkafka reports
//! the partition's end (`enable.partition.eof`), which it does once per assignment. Positions
//! are Kafka offsets: a batch's position is the offset after its last record, so reading again
//! from it misses nothing and repeats nothing.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::{Mutex, Notify};
use tokio::task::AbortHandle;

use super::client::{failure, Context, TIMEOUT};
use super::writer::Own;
use super::Address;
use crate::metrics::{Counter, Metrics};
use crate::storage::{Batch, Position, Record, StoreError};

pub struct Reader {
    topic: String,
    /// Reads block (a poll loop off the runtime's threads, which also decodes): one at a time.
    consumer: Mutex<Arc<BaseConsumer<Context>>>,
    changed: Arc<Notify>,
    watcher: AbortHandle,
    skipped: Counter,
}

/// The offset before which every record of the partition is committed or aborted (its last
/// stable offset): `query_watermark_offsets` asks with the client's `isolation.level`, and a
/// read_committed client gets that offset as its high watermark. Blocks for one round trip.
pub fn stable_end<C: Consumer<X>, X: rdkafka::consumer::ConsumerContext>(
    client: &C,
    topic: &str,
) -> Result<i64, StoreError> {
    client
        .fetch_watermarks(topic, 0, TIMEOUT)
        .map(|(_, high)| high)
        .map_err(|e| failure("reading the topic's end", e))
}

pub fn consumer<C: rdkafka::config::FromClientConfigAndContext<Context>>(
    config: &ClientConfig,
    wait_ms: &str,
    eof: bool,
) -> Result<C, StoreError> {
    config
        .clone()
        // librdkafka wants a group even for assigned partitions; nothing is committed to it, so
        // the broker keeps no state for it.
        .set("group.id", "schemata-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", eof.to_string())
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        // At the end of the topic the broker holds a fetch this long before answering.
        .set("fetch.wait.max.ms", wait_ms)
        // A replay fetches in large steps.
        .set("max.partition.fetch.bytes", "16777216")
        .create_with_context(Context)
        .map_err(|e| StoreError::Config(format!("Kafka consumer: {e}")))
}

fn assign<C: Consumer<Context>>(
    consumer: &C,
    topic: &str,
    offset: Offset,
) -> Result<(), StoreError> {
    let mut partitions = TopicPartitionList::new();
    partitions
        .add_partition_offset(topic, 0, offset)
        .map_err(|e| failure("assigning the partition", e))?;
    consumer
        .assign(&partitions)
        .map_err(|e| failure("assigning the partition", e))
}

impl Reader {
    /// `own` tells the watcher which records this node wrote.
    pub fn start(
        config: &ClientConfig,
        address: &Address,
        own: Own,
        metrics: &Metrics,
    ) -> Result<Reader, StoreError> {
        let changed = Arc::new(Notify::new());
        // Long polls, answered as soon as a record arrives.
        let watcher: StreamConsumer<Context> = consumer(config, "100", false)?;
        assign(&watcher, &address.topic, Offset::End)?;
        let watcher = tokio::spawn(watch(watcher, own, changed.clone())).abort_handle();
        Ok(Reader {
            topic: address.topic.clone(),
            consumer: Mutex::new(Arc::new(consumer(config, "10", true)?)),
            changed,
            watcher,
            skipped: metrics.counter(
                "schemata_kafka_skipped_records_total",
                &[],
                "Records of the Kafka topic that Schemata does not use (NOOP, other products' keys), skipped",
            ),
        })
    }

    /// Every committed record after `after` (from the start for `None`), up to the end of the
    /// topic as the broker reports it during the read.
    pub async fn read_from(&self, after: Option<Position>) -> Result<Batch, StoreError> {
        let consumer = self.consumer.lock().await;
        let from = i64::try_from(after.unwrap_or(0))
            .map_err(|_| StoreError::Corrupt(format!("position {after:?} is out of range")))?;
        let batch = Batch {
            records: Vec::new(),
            position: after.unwrap_or(0),
        };
        let (client, topic) = (Arc::clone(&consumer), self.topic.clone());
        let end = tokio::task::spawn_blocking(move || stable_end(&*client, &topic))
            .await
            .map_err(|e| StoreError::Backend(format!("reading the topic's end: {e}")))??;
        if end <= from {
            // Nothing committed after the position: no fetch (which would wait at the end).
            return Ok(batch);
        }
        let start = match after {
            None => Offset::Beginning,
            Some(_) => Offset::Offset(from),
        };
        assign(&**consumer, &self.topic, start)?;
        let (client, topic, skipped) = (
            Arc::clone(&consumer),
            self.topic.clone(),
            self.skipped.clone(),
        );
        let read = tokio::task::spawn_blocking(move || read(&client, &topic, &skipped, batch))
            .await
            .map_err(|e| StoreError::Backend(format!("reading the topic: {e}")));
        // Between reads the partition is not fetched.
        let _ = consumer.unassign();
        read?
    }

    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    pub fn stop(&self) {
        self.watcher.abort();
    }
}

/// Polls until librdkafka reports the end of the partition, decoding as it goes.
fn read(
    consumer: &BaseConsumer<Context>,
    topic: &str,
    skipped: &Counter,
    mut batch: Batch,
) -> Result<Batch, StoreError> {
    loop {
        let message = match consumer.poll(TIMEOUT) {
            None => {
                return Err(StoreError::Timeout(format!(
                    "Kafka, reading topic '{topic}': no answer within {} s",
                    TIMEOUT.as_secs()
                )))
            }
            Some(Err(KafkaError::PartitionEOF(_))) => return Ok(batch),
            Some(Err(e)) => return Err(failure("reading the topic", e)),
            Some(Ok(m)) => m,
        };
        let offset = message.offset();
        let key = message.key().ok_or_else(|| {
            StoreError::Corrupt(format!(
                "Kafka topic '{topic}' offset {offset}: a record without a key"
            ))
        })?;
        match Record::decode(key, message.payload()) {
            Ok(Some(record)) => batch.records.push(record),
            Ok(None) => skipped.increment(1),
            Err(e) => {
                return Err(StoreError::Corrupt(format!(
                    "Kafka topic '{topic}' offset {offset} cannot be read: {e}"
                )))
            }
        }
        batch.position = (offset + 1) as Position;
    }
}

/// Wakes the registry whenever a record another node committed arrives, and tells the writer
/// that it has been replaced (its producer was fenced), so its next write takes over again and
/// reads first. After an error it wakes the registry anyway, which then reads for itself.
async fn watch(consumer: StreamConsumer<Context>, own: Own, changed: Arc<Notify>) {
    let mut failing = false;
    loop {
        match consumer.recv().await {
            Ok(message) => {
                failing = false;
                if message.offset() > own.through.load(Ordering::SeqCst) {
                    own.replaced();
                    changed.notify_one();
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!("watching the Kafka topic failed, retrying: {e}");
                }
                failing = true;
                tokio::time::sleep(Duration::from_secs(1)).await;
                changed.notify_one();
            }
        }
    }
}
