//! Storage tests: the embedded log's recovery and crash behaviour.

mod crash;
mod log_recovery;
