//! Storage tests: the `Store` contract on every backend, and the embedded log's recovery and
//! crash behaviour.

mod contract;
mod crash;
mod disk_full;
#[cfg(feature = "kafka")]
#[path = "../common/kafka.rs"]
mod kafka;
#[cfg(feature = "kafka")]
mod kafka_fencing;
mod log_recovery;
#[path = "../common/pg.rs"]
mod pg;
mod snapshot;
#[path = "../common/tmpfs.rs"]
mod tmpfs;
