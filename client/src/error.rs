//! The one error type of this crate.

/// What went wrong talking to the registry or (de)serializing a message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The registry answered with an error body: Confluent's `error_code` and message.
    #[error("registry error {code} (HTTP {status}): {message}")]
    Registry {
        status: u16,
        code: i64,
        message: String,
    },
    /// No registry could be reached, or its answer could not be received.
    #[error("registry unreachable: {0}")]
    Transport(String),
    /// A success status whose body is not the JSON the endpoint returns (a proxy's page,
    /// another service, an incompatible registry). Not retried: asking again gets the same.
    /// `endpoint` is the method and URL asked; `detail` what was expected and the start of
    /// what came back.
    #[error("unexpected response from {endpoint} (HTTP {status}): {detail}")]
    UnexpectedResponse {
        status: u16,
        endpoint: String,
        detail: String,
    },
    /// A framed message that is not Confluent's wire format (short, wrong magic byte, bad
    /// message indexes).
    #[error("invalid frame: {0}")]
    InvalidFrame(String),
    /// A schema the client cannot use (does not parse, has no such message, ...).
    #[error("invalid schema: {0}")]
    Schema(String),
    /// A value that does not fit its schema, or bytes that do not decode with it.
    #[error("serialization failed: {0}")]
    Serialization(String),
    /// The serializer is configured in a way that cannot produce a subject or a schema.
    #[error("configuration: {0}")]
    Config(String),
    /// A domain rule refused the message: a `CONDITION` it breaks, or a rule that could not
    /// run, and the rule's action said so. `action` is `ERROR`, or `DLQ`: Confluent's clients
    /// then write the record to a dead-letter topic, which is the application's to do here.
    #[error("rule {rule} failed ({action}): {reason}")]
    Rule {
        rule: String,
        action: String,
        reason: String,
    },
}

impl Error {
    /// Confluent's `error_code`, when the registry sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Registry { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the registry said "not found" (any 404: subject, version or schema).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Registry { status: 404, .. })
    }
}

/// This crate's results.
pub type Result<T> = std::result::Result<T, Error>;
