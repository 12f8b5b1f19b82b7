//! API tests: the server in-process, driven over real HTTP.

mod helpers;

mod compatibility;
mod config;
mod errors;
mod schemas;
mod subjects;
mod worked_example;
