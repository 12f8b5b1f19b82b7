//! API tests: the server in-process, driven over real HTTP.

mod helpers;

mod bad_input;
mod cli;
mod cli_tools;
mod compatibility;
mod config;
mod contexts;
mod contracts;
mod deployment;
mod diff;
mod errors;
mod exporters;
mod fixture;
mod forward_mode;
mod health;
mod json;
#[cfg(feature = "kafka")]
mod kafka;
#[cfg(feature = "kafka")]
mod kafka_faults;
#[cfg(feature = "kafka")]
mod kafka_leader;
#[cfg(feature = "kafka")]
mod kafka_secured;
#[cfg(feature = "kafka")]
#[path = "../common/kafka.rs"]
mod kafka_topic;
mod logs;
mod metrics;
mod moving;
mod openapi;
#[path = "../common/pg.rs"]
mod pg;
mod postgres;
mod postgres_contexts;
mod postgres_faults;
mod protobuf;
mod python_auth;
mod resolved_format;
mod schemas;
mod schemathesis;
mod security;
mod slow_clients;
mod subjects;
mod tls;
#[path = "../common/tmpfs.rs"]
mod tmpfs;
mod ui;
mod validate_fields;
mod worked_example;
