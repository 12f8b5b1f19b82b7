//! Schemata's schema core: parsing, canonical forms, identities and compatibility checks for the
//! Confluent Schema Registry's schema types. Pure and synchronous: no I/O, no async runtime.
//! Referenced schemas are passed in as text the caller has already fetched.
//!
//! # Layout
//! - [`schema`]: [`SchemaType`], [`Reference`], [`parse`] and the parsed [`Schema`].
//! - [`identity`]: the MD5 identity (and `guid`) that decides "same schema, same id".
//! - [`change`]: the checker's vocabulary, [`Change`] and [`ChangeKind`], and the one decision
//!   of which changes are compatible.
//! - [`level`]: the seven [`CompatibilityLevel`]s composed from one primitive, and [`check`].
//! - [`diff`](mod@diff): the diff feature, [`diff()`]: every change between two versions as a
//!   [`Difference`], classified both ways, for the diff API and the UI.
//! - `avro/`, `protobuf/`, `json/`: one folder per format, the same job under the same name in
//!   each: `parse` (text to `model`), `normalize` and `print` (the canonical text), `walk` (pairs
//!   the elements of two schemas) and `rules` (the change kinds, their verdicts and messages).
//!   Where a format has nothing of a job it has no such file, and its `mod.rs` says why. Beyond
//!   those:
//!   - `avro/`: Avro's Parsing Canonical Form (`pcf`), and its own `diff`, because its walk
//!     reports only what breaks reading.
//!   - `protobuf/`: the files importable without a reference (`known`), message indexes for the
//!     wire format.
//!   - `json/`: the dialects and their metaschemas, document validation.
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
pub mod change;
pub mod diff;
mod error;
pub mod identity;
pub mod json;
mod json_text;
pub mod level;
pub mod protobuf;
pub mod schema;

pub use change::{Change, ChangeKind, Policy, Role};
pub use diff::{diff, Difference};
pub use error::ParseError;
pub use identity::{guid, identity, identity_with_contract, Metadata, Object, Rule, RuleSet};
pub use level::{check, CompatibilityLevel, Finding, Previous, Report};
pub use schema::{parse, Dependency, ParseOptions, Reference, Schema, SchemaType};
