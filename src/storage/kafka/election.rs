//! Electing the topic's one writer through Kafka's group coordinator, as Confluent's registry
//! and Karapace do: every node with an advertised URL joins the consumer group
//! `schemata-<topic>`, subscribed to the topic, and the member the coordinator assigns the
//! topic's one partition is the writer. Its consumer pauses the partition at once (the topic
//! is read by the reader, not by this consumer) and only polls, which keeps it in the group.
//!
//! The other nodes learn the writer's URL from the group's description: each member's
//! `client.id` is its advertised URL, and the writer is the member whose assignment holds a
//! partition. A node keeps the URL it learnt until its own consumer sees a rebalance: the
//! writer changes only through a rebalance, and every member takes part in each one (its
//! partitions are revoked before it rejoins), so the URL is asked for once per rebalance, not
//! once per forwarded write. A writer that dies is removed by the coordinator after
//! [`SESSION_TIMEOUT`] without a heartbeat, and the partition goes to another member; one
//! that stops cleanly leaves the group at once.
//!
//! The election only routes writes: correctness comes from the writer's fencing
//! (`writer.rs`), so two nodes that both believe they are elected for a moment still cannot
//! both write.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;

use super::client::{failure, TIMEOUT};
use super::Address;
use crate::metrics::Metrics;
use crate::storage::StoreError;

/// How long the coordinator waits for a silent member's heartbeat before electing another
/// writer (the brokers' smallest allowed by default, `group.min.session.timeout.ms`).
const SESSION_TIMEOUT: Duration = Duration::from_secs(6);

/// How often the election consumer polls (which serves its heartbeats and rebalances).
const POLL: Duration = Duration::from_millis(100);

pub struct Election {
    group: String,
    url: String,
    leads: Arc<AtomicBool>,
    /// Rebalances this node's consumer has seen.
    rebalances: Arc<AtomicU64>,
    /// The writer's URL as described after the rebalance counted.
    known: Mutex<Option<(u64, String)>>,
    consumer: Arc<BaseConsumer<Elector>>,
    stop: Arc<AtomicBool>,
    poller: Option<std::thread::JoinHandle<()>>,
}

/// Follows this node's assignment: holding the partition is being elected.
struct Elector {
    leads: Arc<AtomicBool>,
    rebalances: Arc<AtomicU64>,
}

impl rdkafka::ClientContext for Elector {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::error!("librdkafka (election): {error}: {reason}");
    }
}

impl ConsumerContext for Elector {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        // Revoked or assigned: the writer another node named may have changed.
        self.rebalances.fetch_add(1, Ordering::SeqCst);
        let elected = match rebalance {
            Rebalance::Assign(partitions) if partitions.count() > 0 => {
                // Nothing is read through this consumer.
                if let Err(e) = consumer.pause(partitions) {
                    tracing::warn!("pausing the election consumer's partition: {e}");
                }
                true
            }
            _ => false,
        };
        if self.leads.swap(elected, Ordering::SeqCst) != elected {
            tracing::info!(
                "{} the elected writer of the Kafka topic",
                if elected {
                    "this node is now"
                } else {
                    "this node is no longer"
                }
            );
        }
    }
}

impl Election {
    /// Joins the election of `address`'s topic as `url`; whether this node is elected is shown
    /// in `metrics`.
    pub fn start(
        config: &ClientConfig,
        address: &Address,
        url: &str,
        metrics: &Metrics,
    ) -> Result<Election, StoreError> {
        let group = format!("schemata-{}", address.topic);
        let leads = Arc::new(AtomicBool::new(false));
        let rebalances = Arc::new(AtomicU64::new(0));
        let consumer: BaseConsumer<Elector> = config
            .clone()
            .set("group.id", &group)
            // The other members read it from the group's description.
            .set("client.id", url)
            .set("enable.auto.commit", "false")
            // Should the partition be fetched before it is paused, only new records are.
            .set("auto.offset.reset", "latest")
            // An eager assignor: a rebalance revokes everything, then assigns anew.
            .set("partition.assignment.strategy", "range")
            .set(
                "session.timeout.ms",
                SESSION_TIMEOUT.as_millis().to_string(),
            )
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(Elector {
                leads: leads.clone(),
                rebalances: rebalances.clone(),
            })
            .map_err(|e| StoreError::Config(format!("Kafka election consumer: {e}")))?;
        consumer
            .subscribe(&[&address.topic])
            .map_err(|e| failure("joining the writer election", e))?;
        let consumer = Arc::new(consumer);
        let elected = metrics.gauge(
            "schemata_kafka_elected_writer",
            &[],
            "1 while this node is the elected writer of the Kafka topic (the others forward their writes to it), else 0",
        );
        let shown = leads.clone();
        metrics.on_scrape(move || elected.set(f64::from(u8::from(shown.load(Ordering::SeqCst)))));
        let stop = Arc::new(AtomicBool::new(false));
        let (polled, stopped) = (consumer.clone(), stop.clone());
        let poller = std::thread::Builder::new()
            .name("kafka-election".into())
            .spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    // Paused: no message comes; polling serves heartbeats and rebalances.
                    let _ = polled.poll(POLL);
                }
            })
            .map_err(StoreError::Io)?;
        Ok(Election {
            group,
            url: url.to_string(),
            leads,
            rebalances,
            known: Mutex::new(None),
            consumer,
            stop,
            poller: Some(poller),
        })
    }

    /// Whether this node is the elected writer.
    pub fn leads(&self) -> bool {
        self.leads.load(Ordering::SeqCst)
    }

    /// The elected writer's URL: as learnt since this node's last rebalance, else as the
    /// coordinator describes the group now; `None` while no member holds the partition (a
    /// rebalance), or when it still names this node though it is no longer elected.
    pub async fn leader(&self) -> Result<Option<String>, StoreError> {
        let seen = self.rebalances.load(Ordering::SeqCst);
        let known = self
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(at, _)| *at == seen)
            .map(|(_, url)| url.clone());
        let leader = match known {
            Some(url) => Some(url),
            None => {
                let described = self.describe().await?;
                if let Some(url) = &described {
                    // Counted before the description: a rebalance meanwhile makes it stale.
                    *self.known.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some((seen, url.clone()));
                }
                described
            }
        };
        Ok(leader.filter(|url| *url != self.url || self.leads()))
    }

    /// The URL of the member holding the partition, as the coordinator describes the group.
    async fn describe(&self) -> Result<Option<String>, StoreError> {
        let (consumer, group) = (self.consumer.clone(), self.group.clone());
        tokio::task::spawn_blocking(move || {
            consumer
                .fetch_group_list(Some(&group), TIMEOUT)
                .map_err(|e| failure("describing the writer election's group", e))
                .map(|list| {
                    list.groups()
                        .iter()
                        .filter(|g| g.name() == group && g.state() == "Stable")
                        .flat_map(|g| g.members())
                        .find(|m| m.assignment().is_some_and(holds_partition))
                        .map(|m| m.client_id().to_string())
                })
        })
        .await
        .map_err(|e| StoreError::Backend(format!("describing the writer election: {e}")))?
    }
}

impl Drop for Election {
    /// The polling thread ends, then the consumer, dropped last, leaves the group: another node
    /// is elected at once rather than after the session timeout.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(poller) = self.poller.take() {
            let _ = poller.join();
        }
    }
}

/// Whether a member's assignment (Kafka's `ConsumerProtocolAssignment`: a version, then
/// topics, each with its partitions) holds at least one partition.
fn holds_partition(assignment: &[u8]) -> bool {
    let mut at = 2; // the version
    let mut take = |n: usize| -> Option<&[u8]> {
        let bytes = assignment.get(at..at + n)?;
        at += n;
        Some(bytes)
    };
    let int = |b: &[u8]| i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let Some(topics) = take(4).map(int) else {
        return false;
    };
    for _ in 0..topics.max(0) {
        let Some(name) = take(2).map(|b| i16::from_be_bytes([b[0], b[1]])) else {
            return false;
        };
        if take(name.max(0) as usize).is_none() {
            return false;
        }
        match take(4).map(int) {
            Some(partitions) if partitions > 0 => return true,
            Some(_) => {}
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::holds_partition;

    fn assignment(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut out = vec![0, 1];
        out.extend((topics.len() as i32).to_be_bytes());
        for (name, partitions) in topics {
            out.extend((name.len() as i16).to_be_bytes());
            out.extend(name.as_bytes());
            out.extend((partitions.len() as i32).to_be_bytes());
            for p in *partitions {
                out.extend(p.to_be_bytes());
            }
        }
        out.extend((-1i32).to_be_bytes()); // no user data
        out
    }

    #[test]
    fn the_member_holding_a_partition_is_found_from_its_assignment_bytes() {
        assert!(holds_partition(&assignment(&[("_schemas", &[0])])));
        assert!(!holds_partition(&assignment(&[("_schemas", &[])])));
        assert!(!holds_partition(&assignment(&[])));
        assert!(!holds_partition(&[]));
        // Cut short anywhere: not a holder, and no panic.
        let whole = assignment(&[("_schemas", &[0])]);
        for end in 0..whole.len() - 8 {
            assert!(!holds_partition(&whole[..end]), "{end}");
        }
    }
}
