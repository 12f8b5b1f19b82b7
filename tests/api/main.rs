//! API tests: the server in-process, driven over real HTTP.

mod helpers;

mod bad_input;
mod cli;
mod compatibility;
mod config;
mod contexts;
mod contracts;
mod diff;
mod errors;
mod health;
mod json;
mod logs;
mod metrics;
mod openapi;
#[path = "../common/pg.rs"]
mod pg;
mod postgres;
mod postgres_faults;
mod protobuf;
mod schemas;
mod schemathesis;
mod subjects;
#[path = "../common/tmpfs.rs"]
mod tmpfs;
mod ui;
mod worked_example;
