//! The command line: one struct, every option with a `--flag`, a `SCHEMATA_*` variable, a
//! default and a help line.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};
use compat::CompatibilityLevel;

use crate::registry::ApiFormat;

/// Schemata: a schema registry speaking the Confluent Schema Registry API.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registry server.
    Serve(ServeConfig),
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "SCHEMATA_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: SocketAddr,

    /// Where to keep the data: `file:///path/to/dir` (the embedded log; relative paths as
    /// `file://./data`).
    #[arg(long, env = "SCHEMATA_STORAGE", default_value = "file://./data")]
    pub storage: String,

    /// Compatibility level when neither the subject nor the global config sets one.
    #[arg(long, env = "SCHEMATA_DEFAULT_COMPATIBILITY", default_value = "BACKWARD", value_parser = parse_level)]
    pub default_compatibility: CompatibilityLevel,

    /// Response shapes of Confluent 7.x (`v7`: `{"id":N}` from register, no `schemaType` for
    /// Avro, 409) or 8.x (`v8`: full register response, guid/ts/deleted fields, 40901).
    #[arg(long, env = "SCHEMATA_API_FORMAT", value_enum, default_value = "v7")]
    pub api_format: ApiFormat,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SCHEMATA_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
}

fn parse_level(s: &str) -> Result<CompatibilityLevel, String> {
    s.parse().map_err(|()| {
        format!("'{s}' is not a compatibility level (NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)")
    })
}
