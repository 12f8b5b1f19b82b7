//! The command line's arguments: one struct per command, every `serve` option with a `--flag`,
//! a `SCHEMATA_*` variable, a default and a help line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use compat::{CompatibilityLevel, SchemaType};

use crate::http::ApiFormat;

/// The largest request body accepted unless `--max-body-bytes` says otherwise.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

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
    Serve(Box<ServeArgs>),
    /// Check a schema file against earlier versions, offline (no server). Exit code 0:
    /// compatible, 1: incompatible, 2: invalid input.
    Compat(CompatArgs),
    /// Check a schema file against a subject on a running registry. Exit codes as `compat`.
    Check(RemoteArgs),
    /// Register a schema file under a subject on a running registry. Exit codes as `compat`.
    Register(RemoteArgs),
    /// Read a password from stdin (one line) and print its argon2id hash, for the auth file's
    /// `password_hash`.
    HashPassword,
    /// Write every record of a registry to stdout, one `KEY<TAB>VALUE` line each, as Confluent's
    /// `_schemas` topic holds them, in an order that replays. Exit code 0, or 2 on failure.
    Export(ExportArgs),
    /// Import a dump into a storage no server is using, or copy a running registry (Confluent,
    /// Karapace, Redpanda, Schemata) into another or into a storage. Prints what it did.
    /// Exit code 0, 1 when some records could not be copied, 2 on failure.
    Import(ImportArgs),
    /// Parse schema files as a registration would, offline. Exit code 0: every file is valid,
    /// 2: one is not (the error names it).
    Validate(ValidateArgs),
    /// Every change between two schema files, offline, as the JSON of
    /// `GET /subjects/{subject}/diff`. Exit code 0, or 2 for invalid input.
    Diff(DiffArgs),
    /// Download the schemas of the subjects matching a pattern from a running registry, one file
    /// per schema (`.avsc`, `.proto`, `.json`), with the versions they reference.
    Download(DownloadArgs),
    /// Set the compatibility level of a subject, or the global one, on a running registry.
    SetConfig(SetConfigArgs),
    /// Set the mode of a subject, or the global one, on a running registry.
    SetMode(SetModeArgs),
}

/// How a dump spells the global config and mode keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyFormatArg {
    /// `{"keytype":"CONFIG","magic":0}`, as Confluent 6.2 and later write them.
    Confluent,
    /// `{"keytype":"CONFIG","subject":null,"magic":0}`, as earlier Confluent, Karapace,
    /// Redpanda and Schemata's own stores write them.
    Legacy,
}

impl From<KeyFormatArg> for crate::storage::dump::KeyFormat {
    fn from(f: KeyFormatArg) -> Self {
        match f {
            KeyFormatArg::Confluent => Self::Confluent,
            KeyFormatArg::Legacy => Self::Legacy,
        }
    }
}

/// Credentials and TLS settings for a registry's REST API: every command that talks to a
/// registry takes them.
#[derive(Debug, Clone, Default, Args)]
pub struct AuthArgs {
    /// HTTP Basic credentials for `--url`, as USER:PASSWORD (Confluent's
    /// `basic.auth.user.info`).
    #[arg(
        long,
        env = "SCHEMATA_BASIC_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    pub basic_auth: Option<String>,

    /// A bearer token for `--url`.
    #[arg(
        long,
        env = "SCHEMATA_BEARER_TOKEN",
        conflicts_with = "basic_auth",
        hide_env_values = true
    )]
    pub bearer_token: Option<String>,

    /// A PEM client certificate (mTLS), with `--key`.
    #[arg(long, env = "SCHEMATA_CERT", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The PEM private key of `--cert`.
    #[arg(long, env = "SCHEMATA_KEY", requires = "cert")]
    pub key: Option<PathBuf>,

    /// PEM CA certificates to trust for the registry's certificate, besides the system's
    /// (for `import`, the source's too).
    #[arg(long, env = "SCHEMATA_CA")]
    pub ca: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["url", "storage"]))]
pub struct ExportArgs {
    /// A running registry to export over its REST API (soft deletes, configs and modes come
    /// across; hard-deleted versions are gone from an API).
    #[arg(long)]
    pub url: Option<String>,

    /// A storage no server is using: `file:///path/to/dir` or `postgres://...` (every record,
    /// hard-delete tombstones included).
    #[arg(long)]
    pub storage: Option<String>,

    /// Spelling of the global config and mode keys.
    #[arg(long, value_enum, default_value = "confluent")]
    pub key_format: KeyFormatArg,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["file", "from_url"]))]
#[command(group = clap::ArgGroup::new("target").required(true).args(["url", "storage"]))]
pub struct ImportArgs {
    /// A dump: `schemata export` output, `kafka-console-consumer --property print.key=true`
    /// or `kcat -K` output, or JSON lines `{"key":..,"value":..}` (kcat -J). `-` reads stdin.
    #[arg(requires = "storage")]
    pub file: Option<PathBuf>,

    /// A running registry to copy: every subject, soft-deleted ones included, every version
    /// with its id, configs and modes.
    #[arg(long, value_name = "SOURCE")]
    pub from_url: Option<String>,

    /// HTTP Basic credentials for `--from-url`, as USER:PASSWORD.
    #[arg(
        long,
        env = "SCHEMATA_FROM_BASIC_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    pub from_basic_auth: Option<String>,

    /// A bearer token for `--from-url`.
    #[arg(
        long,
        env = "SCHEMATA_FROM_BEARER_TOKEN",
        conflicts_with = "from_basic_auth",
        hide_env_values = true
    )]
    pub from_bearer_token: Option<String>,

    /// The storage to write, which no server may be using: `file:///path/to/dir` or
    /// `postgres://...`.
    #[arg(long)]
    pub storage: Option<String>,

    /// A running registry to copy into, through its API: its global mode is set to IMPORT for
    /// the copy and to the source's afterwards.
    #[arg(long, requires = "from_url")]
    pub url: Option<String>,

    /// Import into a target that already holds records (a storage), or subjects (a registry:
    /// its mode is then set to IMPORT with `force=true`).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}

/// A schema language, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    Avro,
    Protobuf,
    Json,
}

impl From<TypeArg> for SchemaType {
    fn from(t: TypeArg) -> SchemaType {
        match t {
            TypeArg::Avro => SchemaType::Avro,
            TypeArg::Protobuf => SchemaType::Protobuf,
            TypeArg::Json => SchemaType::Json,
        }
    }
}

/// JSON Schema's compatibility policy (Avro and Protobuf ignore it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// Confluent's default: adding a property to an open content model breaks BACKWARD.
    Strict,
    /// Open content models may gain and lose properties.
    Lenient,
}

impl From<PolicyArg> for compat::Policy {
    fn from(p: PolicyArg) -> compat::Policy {
        match p {
            PolicyArg::Strict => compat::Policy::Strict,
            PolicyArg::Lenient => compat::Policy::Lenient,
        }
    }
}

/// Which Confluent generation's response shapes the server produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiFormatArg {
    /// 7.x: `{"id":N}` from register, `schemaType` omitted for AVRO, 409 for incompatibility.
    V7,
    /// 8.x: full register response, `schemaType` always, guid/ts/deleted fields, 40901.
    V8,
}

impl From<ApiFormatArg> for ApiFormat {
    fn from(f: ApiFormatArg) -> ApiFormat {
        match f {
            ApiFormatArg::V7 => ApiFormat::V7,
            ApiFormatArg::V8 => ApiFormat::V8,
        }
    }
}

/// How the checking commands print their findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One line per incompatible change, for people.
    Text,
    /// One JSON document, for programs.
    Json,
    /// GitHub Actions workflow commands, so each change is annotated on the file.
    Github,
}

#[derive(Debug, Clone, Args)]
pub struct CompatArgs {
    /// Schema language of every file.
    #[arg(long = "type", value_enum, default_value = "avro")]
    pub schema_type: TypeArg,

    /// Compatibility level to check.
    #[arg(long, default_value = "BACKWARD", value_parser = parse_level)]
    pub level: CompatibilityLevel,

    /// A schema the files reference, as NAME=FILE (Avro full name, Protobuf import path or JSON
    /// `$ref`). Repeat for several.
    #[arg(long = "reference", value_name = "NAME=FILE")]
    pub references: Vec<String>,

    /// Normalize the schemas before comparing (as the registry's `normalize=true`).
    #[arg(long)]
    pub normalize: bool,

    /// Which JSON Schema changes count as compatible (the registry's `compatibilityPolicy`).
    #[arg(long, value_enum, default_value = "strict")]
    pub policy: PolicyArg,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,

    /// The earlier versions, oldest first, then the new schema.
    #[arg(required = true, num_args = 2.., value_name = "OLD... NEW")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// Base URL of the registry.
    #[arg(long, env = "SCHEMATA_URL", default_value = "http://localhost:8081")]
    pub url: String,

    /// Subject to check against or register under.
    #[arg(long)]
    pub subject: String,

    /// Schema language of the file.
    #[arg(long = "type", value_enum, default_value = "avro")]
    pub schema_type: TypeArg,

    /// A registered schema the file references, as NAME=SUBJECT:VERSION. Repeat for several.
    #[arg(long = "reference", value_name = "NAME=SUBJECT:VERSION")]
    pub references: Vec<String>,

    /// Ask the registry to normalize the schema.
    #[arg(long)]
    pub normalize: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,

    #[command(flatten)]
    pub auth: AuthArgs,

    /// The schema file.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SCHEMATA_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: SocketAddr,

    /// Where to keep the data: `file:///path/to/dir` (the embedded log; relative paths as
    /// `file://./data`), `postgres://user:password@host:port/database` (shared by several nodes)
    /// or `kafka://host:port[,host:port]/topic` (a compacted Kafka topic in Confluent's format,
    /// shared by several nodes; see the `--kafka-*` options).
    #[arg(long, env = "SCHEMATA_STORAGE", default_value = "file://./data")]
    pub storage: String,

    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// Compatibility level when neither the subject nor the global config sets one.
    #[arg(long, env = "SCHEMATA_DEFAULT_COMPATIBILITY", default_value = "BACKWARD", value_parser = parse_level)]
    pub default_compatibility: CompatibilityLevel,

    /// This registry's cluster id: answered by `GET /v1/metadata/id` (Confluent's
    /// `schema.registry.group.id`), and the context (`.ID`) an exporter of contextType AUTO
    /// writes into on its destination. Letters, digits, `-`, `_` and `.`.
    #[arg(long, env = "SCHEMATA_CLUSTER_ID", default_value = crate::registry::DEFAULT_CLUSTER_ID, value_parser = parse_cluster_id)]
    pub cluster_id: String,

    /// Response shapes of Confluent 7.x (`v7`: `{"id":N}` from register, no `schemaType` for
    /// Avro, 409) or 8.x (`v8`: full register response, guid/ts/deleted fields, 40901).
    #[arg(long, env = "SCHEMATA_API_FORMAT", value_enum, default_value = "v7")]
    pub api_format: ApiFormatArg,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SCHEMATA_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Record metrics and serve them at `GET /metrics` (`false`: neither).
    #[arg(long, env = "SCHEMATA_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,

    /// Serve `GET /metrics` on this address instead of the API's.
    #[arg(long, env = "SCHEMATA_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Log lines as text or as one JSON object each.
    #[arg(long, env = "SCHEMATA_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Log one line per request (method, route, status, latency, bytes, request id).
    #[arg(long, env = "SCHEMATA_ACCESS_LOG", default_value_t = false, action = clap::ArgAction::Set)]
    pub access_log: bool,

    /// Users, JWT keys and grants (TOML, see the README's Security section). Given, every
    /// request but `GET /` and the probes needs credentials, and only what a grant allows is
    /// allowed. Re-read on SIGHUP.
    #[arg(long, env = "SCHEMATA_AUTH_FILE")]
    pub auth_file: Option<PathBuf>,

    /// Serve HTTPS with this PEM certificate chain (the server's certificate first). Re-read on
    /// SIGHUP.
    #[arg(long, env = "SCHEMATA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of `--tls-cert` (PKCS#8, RSA or EC). Re-read on SIGHUP.
    #[arg(long, env = "SCHEMATA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by a CA in this PEM file (mTLS); a certificate's
    /// subject CN (else its first DNS, else URI name) is its principal in the auth file.
    #[arg(long, env = "SCHEMATA_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// Seconds a connection may take to send a request's head, counted from when the server
    /// waits for it: also how long a keep-alive connection may sit idle.
    #[arg(long, env = "SCHEMATA_HEADER_READ_TIMEOUT", default_value_t = crate::serve::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,

    /// Open connections at most; more wait in the kernel's backlog until one closes.
    #[arg(long, env = "SCHEMATA_MAX_CONNECTIONS", default_value_t = crate::serve::DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,

    /// Answer browser preflights (CORS) from this origin, e.g. `https://ui.example.com`, for
    /// third-party UIs. Repeat for several (the variable takes them comma-separated). Off by
    /// default.
    #[arg(long, env = "SCHEMATA_CORS_ALLOW_ORIGIN", value_delimiter = ',')]
    pub cors_allow_origin: Vec<String>,

    /// What `GET /v1/metadata/deployment` lists (Confluent's
    /// `schema.registry.metadata.deployment.attributes`), comma-separated. None by default.
    #[arg(long, env = "SCHEMATA_DEPLOYMENT_ATTRIBUTES", value_delimiter = ',')]
    pub deployment_attributes: Vec<String>,
    /// Run the schema exporters on this node. With several nodes on one PostgreSQL database,
    /// set it on one node only (each node runs every exporter otherwise).
    #[arg(long, env = "SCHEMATA_RUN_EXPORTERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub run_exporters: bool,

    /// Be a read-only replica of the registry at this URL (Confluent's or ours), kept by
    /// polling its REST API; writes are refused with Confluent's read-only error.
    #[arg(long, env = "SCHEMATA_FOLLOW", value_name = "URL")]
    pub follow: Option<String>,

    /// How often the replica looks at `--follow`'s registry, in milliseconds.
    #[arg(long, env = "SCHEMATA_FOLLOW_INTERVAL_MS", default_value_t = 1000)]
    pub follow_interval_ms: u64,

    /// HTTP Basic credentials for `--follow`, as USER:PASSWORD.
    #[arg(
        long,
        env = "SCHEMATA_FOLLOW_BASIC_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    pub follow_basic_auth: Option<String>,

    /// A bearer token for `--follow`.
    #[arg(
        long,
        env = "SCHEMATA_FOLLOW_BEARER_TOKEN",
        conflicts_with = "follow_basic_auth",
        hide_env_values = true
    )]
    pub follow_bearer_token: Option<String>,
}

/// How to reach and set up the Kafka topic of `--storage kafka://...`.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Replication factor of the topic when Schemata creates it (its `min.insync.replicas` is
    /// one less, at least 1). Default: the brokers' `default.replication.factor`.
    #[arg(long, env = "SCHEMATA_KAFKA_REPLICATION_FACTOR", value_parser = clap::value_parser!(i16).range(1..))]
    pub kafka_replication_factor: Option<i16>,

    /// Use an existing topic whose `cleanup.policy` is not `compact` (it then grows forever).
    #[arg(long, env = "SCHEMATA_KAFKA_ALLOW_UNCOMPACTED_TOPIC", default_value_t = false, action = clap::ArgAction::Set)]
    pub kafka_allow_uncompacted_topic: bool,

    /// Connect to the brokers with TLS, trusting the system's CAs (implied by `--kafka-ca` and
    /// `--kafka-cert`).
    #[arg(long, env = "SCHEMATA_KAFKA_TLS", default_value_t = false, action = clap::ArgAction::Set)]
    pub kafka_tls: bool,

    /// PEM CA certificates to trust for the brokers' certificates.
    #[arg(long, env = "SCHEMATA_KAFKA_CA")]
    pub kafka_ca: Option<PathBuf>,

    /// A PEM client certificate for the brokers (mutual TLS), with `--kafka-key`.
    #[arg(long, env = "SCHEMATA_KAFKA_CERT", requires = "kafka_key")]
    pub kafka_cert: Option<PathBuf>,

    /// The PEM private key of `--kafka-cert`.
    #[arg(long, env = "SCHEMATA_KAFKA_KEY", requires = "kafka_cert")]
    pub kafka_key: Option<PathBuf>,

    /// SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with the username and password).
    #[arg(long, env = "SCHEMATA_KAFKA_SASL_MECHANISM", requires_all = ["kafka_sasl_username", "kafka_sasl_password"])]
    pub kafka_sasl_mechanism: Option<String>,

    /// SASL username.
    #[arg(
        long,
        env = "SCHEMATA_KAFKA_SASL_USERNAME",
        requires = "kafka_sasl_mechanism"
    )]
    pub kafka_sasl_username: Option<String>,

    /// SASL password; prefer the environment variable to the flag (command lines are visible
    /// to other users of the machine).
    #[arg(
        long,
        env = "SCHEMATA_KAFKA_SASL_PASSWORD",
        requires = "kafka_sasl_mechanism",
        hide_env_values = true
    )]
    pub kafka_sasl_password: Option<String>,

    /// This node's API as the other nodes reach it (`http://host:8081`). With Kafka storage,
    /// it makes the node stand in the election of the topic's one writer, and the other nodes
    /// forward their writes to the elected one's URL. Without it, the node writes itself.
    #[arg(long, env = "SCHEMATA_ADVERTISED_URL", value_name = "URL", value_parser = parse_advertised_url)]
    pub advertised_url: Option<String>,
}

/// An `http(s)://host[:port][/prefix]` URL, without a trailing slash (request paths follow).
fn parse_advertised_url(s: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(s).map_err(|e| format!("'{s}' is not a URL: {e}"))?;
    if !["http", "https"].contains(&url.scheme())
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "'{s}' is not an http:// or https:// URL of this node (http://host:port)"
        ));
    }
    Ok(s.trim_end_matches('/').to_string())
}

impl From<&KafkaArgs> for crate::storage::kafka::Settings {
    fn from(args: &KafkaArgs) -> Self {
        crate::storage::kafka::Settings {
            replication_factor: args.kafka_replication_factor,
            allow_uncompacted: args.kafka_allow_uncompacted_topic,
            tls: args.kafka_tls,
            ca: args.kafka_ca.clone(),
            cert: args.kafka_cert.clone(),
            key: args.kafka_key.clone(),
            sasl_mechanism: args.kafka_sasl_mechanism.clone(),
            username: args.kafka_sasl_username.clone(),
            password: args.kafka_sasl_password.clone(),
            advertised_url: args.advertised_url.clone(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people; coloured only on a terminal.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

fn parse_level(s: &str) -> Result<CompatibilityLevel, String> {
    s.parse().map_err(|()| {
        format!("'{s}' is not a compatibility level (NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)")
    })
}

/// A cluster id names a context (`.ID`) and goes into URLs: no colon, slash or space.
fn parse_cluster_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a cluster id: use letters, digits, '-', '_' and '.'"
        ))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Schema language of every file.
    #[arg(long = "type", value_enum, default_value = "avro")]
    pub schema_type: TypeArg,

    /// A schema the files reference, as NAME=FILE. Repeat for several.
    #[arg(long = "reference", value_name = "NAME=FILE")]
    pub references: Vec<String>,

    /// The schema files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// Schema language of both files.
    #[arg(long = "type", value_enum, default_value = "avro")]
    pub schema_type: TypeArg,

    /// A schema the files reference, as NAME=FILE. Repeat for several.
    #[arg(long = "reference", value_name = "NAME=FILE")]
    pub references: Vec<String>,

    /// The old version.
    pub old: PathBuf,

    /// The new version.
    pub new: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    /// Base URL of the registry.
    #[arg(long, env = "SCHEMATA_URL", default_value = "http://localhost:8081")]
    pub url: String,

    /// Subjects to download: a name, or a pattern with `*` (any text) and `?` (one character).
    /// Repeat for several.
    #[arg(long = "subject", required = true, value_name = "PATTERN")]
    pub subjects: Vec<String>,

    /// The directory to write to (created if missing).
    #[arg(long)]
    pub out: PathBuf,

    /// Every live version (`SUBJECT-vN.EXT`) instead of the latest (`SUBJECT.EXT`).
    #[arg(long)]
    pub all_versions: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SetConfigArgs {
    /// Base URL of the registry.
    #[arg(long, env = "SCHEMATA_URL", default_value = "http://localhost:8081")]
    pub url: String,

    /// The subject; without it, the global config.
    #[arg(long)]
    pub subject: Option<String>,

    /// The compatibility level.
    #[arg(value_parser = parse_level)]
    pub level: CompatibilityLevel,

    #[command(flatten)]
    pub auth: AuthArgs,
}

/// A registry mode, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModeArg {
    Readwrite,
    Readonly,
    ReadonlyOverride,
    Import,
}

#[derive(Debug, Clone, Args)]
pub struct SetModeArgs {
    /// Base URL of the registry.
    #[arg(long, env = "SCHEMATA_URL", default_value = "http://localhost:8081")]
    pub url: String,

    /// The subject; without it, the global mode.
    #[arg(long)]
    pub subject: Option<String>,

    /// The mode.
    #[arg(value_enum, ignore_case = true)]
    pub mode: ModeArg,

    /// Enter IMPORT mode even where subjects hold versions.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}
