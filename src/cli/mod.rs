//! The command line: its arguments (`args.rs`), and the CI gate's commands: `schemata compat`
//! (offline, from files), `schemata check` and `schemata register` (against a running registry).
//! Each prints every incompatible change with its rule id, location and message, and exits 0
//! (compatible), 1 (incompatible) or 2 (invalid input).
//!
//! Moving schemas: `schemata export` (`export.rs`) writes every record as the lines of
//! Confluent's `_schemas` topic; `schemata import` (`import.rs`) reads such a dump into a
//! storage, or copies a running registry, read over its API (`replication::remote`), into a storage or into
//! another registry.
//!
//! What Confluent's Maven plugin does besides: `schemata validate` and `schemata diff` offline
//! (`files.rs`), `schemata download`, `set-config` and `set-mode` against a registry
//! (`admin.rs`).

mod admin;
pub mod args;
mod export;
mod files;
mod import;
mod offline;
mod output;
mod remote;

pub use admin::{download, set_config, set_mode};
pub use export::export;
pub use files::{diff, validate};
pub use import::import;
pub use offline::compat;
pub use remote::{check, register};

use crate::replication::remote::{Credentials, Remote};

/// The verdict of a checking command, printed by `output.rs`.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    pub compatible: bool,
    /// What the schema was checked against: a file, a subject version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    pub level: String,
    pub changes: Vec<Item>,
    /// Lines that are not changes (registration results, context).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One incompatible change.
#[derive(Debug, serde::Serialize)]
pub struct Item {
    /// The rule id, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

/// Exit codes.
pub const COMPATIBLE: u8 = 0;
pub const INCOMPATIBLE: u8 = 1;
pub const INVALID: u8 = 2;

impl args::AuthArgs {
    /// The credentials these options give.
    fn credentials(&self) -> Result<Option<Credentials>, Invalid> {
        Ok(Credentials::from_args(
            self.basic_auth.as_deref(),
            self.bearer_token.as_deref(),
        )?)
    }

    /// The HTTP client these options ask for: their CA trusted, their client certificate
    /// presented.
    fn http_client(&self) -> Result<reqwest::Client, Invalid> {
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| Invalid(format!("{}: {e}", path.display())))
        };
        let mut builder = reqwest::Client::builder();
        if let Some(ca) = &self.ca {
            for cert in reqwest::Certificate::from_pem_bundle(&read(ca)?)
                .map_err(|e| Invalid(format!("--ca {}: {e}", ca.display())))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            let pem = [read(cert)?, b"\n".to_vec(), read(key)?].concat();
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| Invalid(format!("--cert and --key: {e}")))?;
            builder = builder.identity(identity);
        }
        builder
            .build()
            .map_err(|e| Invalid(format!("setting up HTTPS: {e}")))
    }

    /// The registry at `url`, with these credentials and TLS settings.
    fn remote(&self, url: &str) -> Result<Remote, Invalid> {
        Ok(Remote::with_client(
            url,
            self.http_client()?,
            self.credentials()?,
        ))
    }
}

/// An input problem: printed, then exit code 2.
#[derive(Debug)]
pub struct Invalid(pub String);

impl<E: std::fmt::Display> From<E> for Invalid {
    fn from(e: E) -> Invalid {
        Invalid(e.to_string())
    }
}

/// Splits `NAME=VALUE`.
fn name_value(arg: &str) -> Result<(&str, &str), Invalid> {
    arg.split_once('=')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .ok_or_else(|| Invalid(format!("expected NAME=VALUE, got '{arg}'")))
}
