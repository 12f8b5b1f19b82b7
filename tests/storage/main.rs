//! Storage tests: the embedded log's recovery and crash behaviour.

mod crash;
mod disk_full;
mod log_recovery;
#[path = "../common/tmpfs.rs"]
mod tmpfs;
