//! Kafka storage: the registry's records in a compacted, single-partition Kafka topic
//! (`_schemas`), byte for byte as Confluent's registry writes them, so Schemata can take over a
//! topic a Confluent registry or Karapace wrote, and hand it back.
//!
//! Every node reads the topic (`reader.rs`) with `isolation.level=read_committed`, so it sees
//! only what a writer committed. Writes go through a transactional producer whose
//! `transactional.id` every node on the topic shares (`writer.rs`): a node that starts writing
//! calls `init_transactions`, which fences whichever node wrote before it (its open transaction
//! is aborted and its later produces and commits fail), then reads what that node committed
//! before deciding anything. So exactly one node writes at a time, and one that was replaced
//! cannot write even once more: one schema never gets two ids, nor one subject two version 5s.
//! Concurrent writes of one node share a transaction (group commit). A write is acknowledged
//! once its transaction is committed with `acks=all`.
//!
//! With an advertised URL, a node stands in an election through the group coordinator
//! (`election.rs`): only the elected node writes, and the others' writes fail with
//! [`StoreError::NotLeader`] naming it, which the HTTP layer forwards there. Without one, every
//! node writes, fenced as above.
//!
//! A topic that is missing is created (one partition, `cleanup.policy=compact`); an existing one
//! with more partitions is refused, and one that is not compacted too, unless allowed
//! (`topic.rs`).

#[cfg(feature = "kafka")]
mod client;
#[cfg(feature = "kafka")]
mod election;
#[cfg(feature = "kafka")]
mod reader;
mod settings;
#[cfg(feature = "kafka")]
mod topic;
#[cfg(feature = "kafka")]
mod writer;

pub use settings::{Address, Settings, DEFAULT_TOPIC};

#[cfg(feature = "kafka")]
pub use store::KafkaStore;

#[cfg(feature = "kafka")]
mod store {
    use std::time::{Duration, Instant};

    use super::election::Election;
    use super::reader::Reader;
    use super::writer::Writes;
    use super::{client, topic, Address, Settings};
    use crate::metrics::Metrics;
    use crate::storage::{Batch, Position, Store, StoreError, Transaction};

    /// How long a write waits for an election in progress (a rebalance) to name a writer.
    const ELECTION_WAIT: Duration = Duration::from_secs(10);

    pub struct KafkaStore {
        reader: Reader,
        writes: Writes,
        /// `None` without an advertised URL: this node writes itself.
        election: Option<Election>,
    }

    impl KafkaStore {
        /// Connects, creates or checks the topic, and starts watching it for other nodes' writes.
        pub async fn open(
            url: &str,
            settings: &Settings,
            metrics: &Metrics,
        ) -> Result<KafkaStore, StoreError> {
            let address = Address::parse(url).map_err(StoreError::Config)?;
            let config = client::config(&address, settings)?;
            topic::ensure(&config, &address, settings).await?;
            let writes = Writes::start(&config, &address, metrics)?;
            let reader = Reader::start(&config, &address, writes.own(), metrics)?;
            let election = match &settings.advertised_url {
                Some(url) => Some(Election::start(&config, &address, url, metrics)?),
                None => None,
            };
            Ok(KafkaStore {
                reader,
                writes,
                election,
            })
        }

        /// Ok when this node may write: no election, or it is the elected writer. Otherwise
        /// the elected writer's URL, after waiting up to [`ELECTION_WAIT`] for an election in
        /// progress to name one.
        async fn elected(&self) -> Result<(), StoreError> {
            let Some(election) = &self.election else {
                return Ok(());
            };
            let deadline = Instant::now() + ELECTION_WAIT;
            loop {
                if election.leads() {
                    return Ok(());
                }
                if let Some(url) = election.leader().await? {
                    return Err(StoreError::NotLeader { leader: Some(url) });
                }
                if Instant::now() >= deadline {
                    return Err(StoreError::NotLeader { leader: None });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    #[async_trait::async_trait]
    impl Store for KafkaStore {
        async fn load(&self) -> Result<Batch, StoreError> {
            self.reader.read_from(None).await
        }

        async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
            self.elected().await?;
            Ok(Box::new(self.writes.begin().await?))
        }

        async fn catch_up(&self, after: Position) -> Result<Batch, StoreError> {
            self.reader.read_from(Some(after)).await
        }

        fn is_shared(&self) -> bool {
            true
        }

        fn holds_write_lock(&self) -> bool {
            self.writes.holding()
        }

        async fn changed(&self) {
            self.reader.changed().await;
        }

        /// The elected writer runs the exporters; without an election, every node does.
        async fn hold_exporter_lease(&self) -> bool {
            self.election.as_ref().is_none_or(Election::leads)
        }
    }

    impl Drop for KafkaStore {
        fn drop(&mut self) {
            self.reader.stop();
        }
    }
}
