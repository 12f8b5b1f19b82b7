//! Schemata, a schema registry server speaking the Confluent Schema Registry REST API.
//!
//! # Layout
//! Layers point one way: `http` -> `registry` -> `storage` (a test, `tests/layers.rs`, keeps it
//! so). The registry and the storage know nothing of HTTP, axum or the command line.
//! - [`cli`]: the command line: its arguments ([`cli::args`]) and the CI-gate commands.
//! - [`app`]: the server assembled once ([`app::Server`]), for `main`, the tests and other
//!   crates.
//! - [`http`]: one module per URL resource (`subjects`, `schemas`, `compatibility`, `config`,
//!   `mode`, ...); request parsing, errors as responses, the 7.x/8.x response format, a span per
//!   request.
//! - [`registry`]: the use cases over the in-memory state: register and lookup, reads, deletes,
//!   configs, modes, compatibility, diffs, following other nodes; `write.rs` is how every write
//!   writes (the writer lock, the one mode gate, commit).
//! - [`replication`]: registries read and written over their REST API (`import --from-url`,
//!   `export --url`) and the follower (`serve --follow`).
//! - [`storage`]: the [`storage::Store`] trait, the record shapes of Confluent's `_schemas`
//!   topic, the embedded log (`storage/log/`) and PostgreSQL.
//! - [`auth`]: the auth file: users, JWT keys, roles and grants (applied by `http/guard.rs`).
//! - [`serve`]: the accept loop, with a header read timeout and a cap on connections.
//! - [`tls`]: HTTPS and client certificates, re-read on SIGHUP.
//! - [`error`]: [`error::ApiError`], every error with its HTTP status and Confluent code.
//!
//! Schema parsing and compatibility live in the `schemata-compat` crate (`compat/`).

pub mod app;
pub mod auth;
pub mod cli;
pub mod error;
pub mod http;
pub mod metrics;
pub mod registry;
pub mod replication;
pub mod serve;
pub mod storage;
pub mod tls;

/// The commit this binary was built from (see `build.rs`).
pub const COMMIT: &str = env!("SCHEMATA_COMMIT");
