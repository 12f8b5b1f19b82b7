//! Schemata's schema core: parsing, canonical forms, identities and compatibility checks for the
//! Confluent Schema Registry's schema types. Pure and synchronous: no I/O, no async runtime.
//! Referenced schemas are passed in as text the caller has already fetched.
//!
//! # Layout
//! - [`schema`]: [`SchemaType`], [`Reference`], [`parse`] and the parsed [`Schema`].
//! - [`identity`]: the MD5 identity (and `guid`) that decides "same schema, same id".
//! - [`diff`]: [`Change`] and [`ChangeKind`], the structured change list, and the one decision
//!   of which changes are compatible.
//! - [`compare`]: the structured diff of two versions (every change, classified).
//! - [`level`]: the seven [`CompatibilityLevel`]s composed from one primitive, and [`check`].
//! - `protobuf/`: `.proto` compilation (protox), canonical printing, Confluent's diff, message
//!   indexes.
//! - `json/`: JSON Schema dialects, metaschema validation, Confluent's diff over everit's model,
//!   document validation.
//! - `avro/`: the Avro parser, Confluent's canonical printer, normalization and the
//!   reader/writer walk.
//!
//! ```
//! use schemata_compat::{check, parse, CompatibilityLevel, ParseOptions, Policy, Previous, SchemaType};
//!
//! let old = parse(SchemaType::Avro, r#"{"type":"record","name":"T","fields":[]}"#, &[], ParseOptions::default()).unwrap();
//! let new = parse(SchemaType::Avro,
//!     r#"{"type":"record","name":"T","fields":[{"name":"f","type":"int"}]}"#, &[], ParseOptions::default()).unwrap();
//! let report = check(CompatibilityLevel::Backward, &new, &[Previous { schema: &old, version: Some(1) }], Policy::Strict);
//! assert!(!report.is_compatible());
//! assert!(report.messages[0].starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"));
//! ```

pub mod avro;
pub mod compare;
pub mod diff;
mod error;
pub mod identity;
pub mod json;
mod json_text;
pub mod level;
pub mod protobuf;
pub mod schema;

pub use compare::{compare, Difference};
pub use diff::{Change, ChangeKind, Policy, Role};
pub use error::ParseError;
pub use identity::{guid, identity, identity_with_contract, Metadata, Rule, RuleSet};
pub use level::{check, CompatibilityLevel, Finding, Previous, Report};
pub use schema::{parse, Dependency, ParseOptions, Reference, Schema, SchemaType};
