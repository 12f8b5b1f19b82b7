//! The client against a live Schemata (and a scripted fake for retries and single flight).

mod common;
mod interop;

mod avro;
mod frames;
mod go;
mod guids;
mod js;
mod json;
mod metadata;
mod mtls;
mod protobuf;
mod python;
mod rest;
mod rules;
