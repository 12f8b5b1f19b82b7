//! Schemata, a schema registry server speaking the Confluent Schema Registry REST API.
//!
//! # Layout
//! - [`config`]: the command line (`schemata serve`, `compat`, `check`, `register`).
//! - [`cli`]: the CI-gate commands.
//! - [`app`]: the router with its middleware, and [`app::serve`].
//! - [`http`]: one module per URL resource; request parsing in `http/extract.rs`.
//! - [`registry`]: the use cases (register, lookup, list, delete, compatibility, config, mode)
//!   over the in-memory state.
//! - [`storage`]: the [`storage::Store`] trait and the embedded log (`storage/log/`).
//! - [`error`]: [`error::ApiError`], every error with its HTTP status and Confluent code.
//!
//! Schema parsing and compatibility live in the `schemata-compat` crate (`compat/`).

pub mod app;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod registry;
pub mod storage;
