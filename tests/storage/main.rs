//! Storage tests: the `Store` contract on both backends, and the embedded log's recovery and
//! crash behaviour.

mod contract;
mod crash;
mod disk_full;
mod log_recovery;
#[path = "../common/pg.rs"]
mod pg;
mod snapshot;
#[path = "../common/tmpfs.rs"]
mod tmpfs;
