//! Writing the topic: one transactional producer per node, all nodes on a topic sharing its
//! `transactional.id`, so taking over (`init_transactions`) fences the node that wrote before.
//!
//! A node takes over when it first writes, and again whenever it has lost its place: another
//! node's record arrived (that node fenced it), or one of its writes failed (its outcome may be
//! unknown). Taking over waits until none of its own writes is in flight, and the write that
//! took over reads the topic before deciding ([`Transaction::fresh`]). Commits queue to one task
//! that writes everything queued in one transaction (group commit), in order; a failure fails
//! that group, abandons what was queued behind it (it was decided on the failed writes) and
//! changes the generation, so the registry starts again from what is durable.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::AbortHandle;

use rdkafka::consumer::BaseConsumer;

use super::client::{failure, fenced, is_fenced, Context, TIMEOUT};
use super::reader::{consumer, stable_end};
use super::Address;
use crate::metrics::{Histogram, Metrics};
use crate::storage::dump::{self, KeyFormat};
use crate::storage::{CommitFuture, OnDurable, Position, Record, StoreError, Transaction};

/// What the writer and the topic's watcher share: the highest offset this node wrote, and
/// whether it must take over again before its next write.
#[derive(Clone, Default)]
pub struct Own {
    pub through: Arc<AtomicI64>,
    retake: Arc<AtomicBool>,
}

impl Own {
    /// Another node wrote, or a write failed: the next write takes over again.
    pub fn replaced(&self) {
        self.retake.store(true, Ordering::SeqCst);
    }
}

pub struct Writes {
    config: ClientConfig,
    /// The producer of the current takeover, `None` before the first.
    producer: Mutex<Option<FutureProducer>>,
    /// The topic was taken over and no write has committed since: the next write must catch
    /// up with what the writers before committed. Only a commit clears it, as only a write
    /// that got that far surely caught up (one abandoned may have stopped half way).
    catch_up_owed: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
    /// Commits handed to the committer and not yet answered.
    in_flight: Arc<watch::Sender<usize>>,
    queue: mpsc::UnboundedSender<Commit>,
    own: Own,
    committer: AbortHandle,
}

struct Commit {
    records: Vec<Record>,
    on_durable: OnDurable,
    done: oneshot::Sender<Result<(), StoreError>>,
    generation: u64,
    producer: FutureProducer,
}

impl Drop for Writes {
    fn drop(&mut self) {
        self.committer.abort();
    }
}

impl Writes {
    pub fn start(
        config: &ClientConfig,
        address: &Address,
        metrics: &Metrics,
    ) -> Result<Writes, StoreError> {
        // Created before the producer's settings are added, which a consumer would warn about.
        let readback: BaseConsumer<Context> = consumer(config, "10", false)?;
        let mut config = config.clone();
        config
            // Every node on the topic shares it: the newest to initialise fences the others.
            .set("transactional.id", format!("schemata-{}", address.topic))
            // A node that died mid-transaction holds up readers (read_committed) this long.
            .set("transaction.timeout.ms", "10000")
            .set("message.timeout.ms", "10000")
            // The committer groups writes itself.
            .set("linger.ms", "0");
        let (queue, rx) = mpsc::unbounded_channel();
        let generation = Arc::new(AtomicU64::new(0));
        let in_flight = Arc::new(watch::Sender::new(0));
        let own = Own::default();
        let measures = Measures {
            write_seconds: metrics.histogram(
                "schemata_storage_write_duration_seconds",
                &[],
                "Time to make one group of writes durable (Kafka: the transaction's produce and commit)",
            ),
            records: metrics.histogram(
                "schemata_kafka_group_commit_records",
                &[],
                "Records written by one Kafka transaction (the writes it shares)",
            ),
        };
        let committer = tokio::spawn(commit_all(
            rx,
            Arc::new(readback),
            address.topic.clone(),
            generation.clone(),
            in_flight.clone(),
            own.clone(),
            measures,
        ))
        .abort_handle();
        Ok(Writes {
            config,
            producer: Mutex::new(None),
            catch_up_owed: Arc::default(),
            generation,
            in_flight,
            queue,
            own,
            committer,
        })
    }

    pub fn own(&self) -> Own {
        self.own.clone()
    }

    pub fn holding(&self) -> bool {
        *self.in_flight.borrow() > 0
    }

    pub async fn begin(&self) -> Result<KafkaTransaction, StoreError> {
        let mut producer = self.producer.lock().await;
        if producer.is_none() || self.own.retake.load(Ordering::SeqCst) {
            // Nothing of ours may be in flight while another producer takes over.
            let mut in_flight = self.in_flight.subscribe();
            let _ = in_flight.wait_for(|n| *n == 0).await;
            self.own.retake.store(false, Ordering::SeqCst);
            *producer = None;
            let taken: FutureProducer = self
                .config
                .create()
                .map_err(|e| StoreError::Config(format!("Kafka producer: {e}")))?;
            let initialising = taken.clone();
            tokio::task::spawn_blocking(move || initialising.init_transactions(TIMEOUT))
                .await
                .map_err(|e| StoreError::Backend(format!("taking over the topic: {e}")))?
                .map_err(|e| {
                    self.own.replaced();
                    failure("taking over the topic (init_transactions)", e)
                })?;
            *producer = Some(taken);
            self.catch_up_owed.store(true, Ordering::SeqCst);
        }
        let producer = producer.clone().expect("a producer was just set");
        Ok(KafkaTransaction {
            producer,
            catch_up_owed: self.catch_up_owed.clone(),
            generation: self.generation.load(Ordering::SeqCst),
            in_flight: self.in_flight.clone(),
            queue: self.queue.clone(),
        })
    }
}

pub struct KafkaTransaction {
    producer: FutureProducer,
    catch_up_owed: Arc<AtomicBool>,
    generation: u64,
    in_flight: Arc<watch::Sender<usize>>,
    queue: mpsc::UnboundedSender<Commit>,
}

#[async_trait::async_trait]
impl Transaction for KafkaTransaction {
    async fn new_id(&mut self, highest_known: u32) -> Result<u32, StoreError> {
        // This node has read everything committed before it took over, and no other node can
        // commit while it holds the topic: the next id after the highest it knows is unused.
        crate::storage::next_id(highest_known)
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    fn fresh(&self) -> bool {
        self.catch_up_owed.load(Ordering::SeqCst)
    }

    fn commit(self: Box<Self>, records: Vec<Record>, on_durable: OnDurable) -> CommitFuture {
        self.catch_up_owed.store(false, Ordering::SeqCst);
        let (done, answer) = oneshot::channel();
        self.in_flight.send_modify(|n| *n += 1);
        let commit = Commit {
            records,
            on_durable,
            done,
            generation: self.generation,
            producer: self.producer,
        };
        if let Err(mpsc::error::SendError(commit)) = self.queue.send(commit) {
            self.in_flight.send_modify(|n| *n -= 1);
            drop(commit);
        }
        Box::pin(async move { answer.await.unwrap_or(Err(StoreError::Abandoned)) })
    }
}

struct Measures {
    write_seconds: Histogram,
    records: Histogram,
}

/// Writes the queued commits, each group in one transaction, in order.
async fn commit_all(
    mut queue: mpsc::UnboundedReceiver<Commit>,
    readback: Arc<BaseConsumer<Context>>,
    topic: String,
    generation: Arc<AtomicU64>,
    in_flight: Arc<watch::Sender<usize>>,
    own: Own,
    measures: Measures,
) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while let Ok(next) = queue.try_recv() {
            group.push(next);
        }
        let count = group.len();
        let current = generation.load(Ordering::SeqCst);
        let (live, stale): (Vec<Commit>, Vec<Commit>) =
            group.into_iter().partition(|c| c.generation == current);
        for commit in stale {
            let _ = commit.done.send(Err(StoreError::Abandoned));
        }
        if let Some(first) = live.first() {
            let producer = first.producer.clone();
            let started = Instant::now();
            let batches: Vec<&[Record]> = live.iter().map(|c| c.records.as_slice()).collect();
            let written = write(&producer, &readback, &topic, &batches, &own).await;
            match written.map_err(|e| why(&producer, e)) {
                Ok(positions) => {
                    measures.write_seconds.record(started.elapsed());
                    measures
                        .records
                        .record(live.iter().map(|c| c.records.len()).sum::<usize>() as f64);
                    for (commit, position) in live.into_iter().zip(positions) {
                        (commit.on_durable)(position);
                        let _ = commit.done.send(Ok(()));
                    }
                }
                Err(e) => {
                    tracing::warn!("a Kafka transaction failed: {e}");
                    generation.fetch_add(1, Ordering::SeqCst);
                    own.replaced();
                    for commit in live {
                        let _ = commit.done.send(Err(copy(&e)));
                    }
                }
            }
        }
        in_flight.send_modify(|n| *n -= count);
    }
}

/// A failed write's error, naming the takeover when that was the cause: a fenced producer's
/// queued records fail as purged, and only its fatal error says why.
fn why(producer: &FutureProducer, e: StoreError) -> StoreError {
    match producer.client().fatal_error() {
        Some((code, reason)) if is_fenced(Some(code)) => fenced("writing", &reason),
        _ => e,
    }
}

/// The same failure for each commit of a group.
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::Timeout(m) => StoreError::Timeout(m.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// Waits until readers see the record at `offset`. A commit returns once the transaction
/// coordinator has decided it; the markers that make its records readable reach the partition
/// just after. Acknowledging only then means a node that reads after the acknowledgement (this
/// one, or another) sees the write.
async fn visible(
    readback: &Arc<BaseConsumer<Context>>,
    topic: &str,
    offset: i64,
) -> Result<(), StoreError> {
    let (client, topic) = (Arc::clone(readback), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if stable_end(&*client, &topic)? > offset {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(StoreError::Timeout(format!(
                    "Kafka: the committed record at offset {offset} of '{topic}' did not become readable within {} s",
                    TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    })
    .await
    .map_err(|e| StoreError::Backend(format!("reading the write back: {e}")))?
}

/// One transaction holding every record of `commits` (each commit's records); the position
/// after each commit's last record.
async fn write(
    producer: &FutureProducer,
    readback: &Arc<BaseConsumer<Context>>,
    topic: &str,
    commits: &[&[Record]],
    own: &Own,
) -> Result<Vec<Position>, StoreError> {
    producer
        .begin_transaction()
        .map_err(|e| failure("beginning a transaction", e))?;
    // For each commit, the delivery of each of its messages.
    let mut deliveries = Vec::with_capacity(commits.len());
    for commit in commits {
        let mut delivering = Vec::with_capacity(commit.len());
        for (key, value) in commit.iter().flat_map(messages) {
            let mut message = FutureRecord::<Vec<u8>, Vec<u8>>::to(topic)
                .partition(0)
                .key(&key);
            if let Some(value) = &value {
                message = message.payload(value);
            }
            let delivery = producer
                .send_result(message)
                .map_err(|(e, _)| failure("producing a record", e))?;
            delivering.push(delivery);
        }
        deliveries.push(delivering);
    }
    // The offset after each commit's last message.
    let mut positions = Vec::with_capacity(commits.len());
    let mut last = None;
    for delivering in deliveries {
        for delivery in delivering {
            let delivered = delivery
                .await
                .map_err(|_| StoreError::Backend("Kafka producer closed".into()))?
                .map_err(|(e, _)| failure("producing a record", e))?;
            last = Some(delivered.offset);
        }
        positions.push(last.map_or(0, |offset| (offset + 1) as Position));
    }
    if let Some(last) = last {
        // Before the commit: the watcher sees these records only once it is done.
        own.through.fetch_max(last, Ordering::SeqCst);
    }
    let committing = producer.clone();
    tokio::task::spawn_blocking(move || committing.commit_transaction(TIMEOUT))
        .await
        .map_err(|e| StoreError::Backend(format!("committing the transaction: {e}")))?
        .map_err(|e| failure("committing the transaction", e))?;
    if let Some(last) = last {
        visible(readback, topic, last).await?;
    }
    Ok(positions)
}

/// The messages of a record, as Confluent writes them: the global config and mode under its
/// current key spelling (`{"keytype":"CONFIG","magic":0}`). Deleting one also deletes it under
/// the older spelling (`"subject":null`, Karapace's and older Confluent's): compaction keeps
/// the last value of each key's bytes, and a value left under the other spelling would come
/// back once the deletion is compacted away.
fn messages(record: &Record) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let modern = dump::key(record, KeyFormat::Confluent);
    let value = record.value();
    let legacy = record.key();
    if value.is_none() && legacy != modern {
        return vec![(legacy, None), (modern, None)];
    }
    vec![(modern, value)]
}
