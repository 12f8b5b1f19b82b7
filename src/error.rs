//! The API's errors: every failure a client can see, each with its HTTP status, Confluent
//! `error_code` and message, decided in one exhaustive match ([`ApiError::status_and_code`]).
//! The registry returns them; `http/error.rs` turns them into responses.
//!
//! Messages reproduce Confluent's byte for byte where clients or people know them, typos
//! included (the missing space in 40404/40406, "is not a valid." in 42208). Internal causes
//! (storage failures) are logged, and the client gets Confluent's generic text.

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 40401: the subject has no (matching) versions.
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// 40402.
    #[error("Version {0} not found.")]
    VersionNotFound(i32),
    /// 40403 from lookup and the id listings.
    #[error("Schema not found")]
    SchemaNotFound,
    /// 40403 from a fetch by id or guid.
    #[error("Schema {0} not found")]
    SchemaIdNotFound(String),
    /// 40404.
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    /// 40405.
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    /// 40406.
    #[error("Subject '{0}' Version {1} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, i32),
    /// 40407.
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i32),
    /// 40408.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    /// 40409.
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    /// 409: the messages are the details Confluent lists. Confluent 8.x numbers it 40901; the
    /// HTTP layer, which knows which generation it speaks, renumbers it (`http::ApiFormat`).
    #[error("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]", .details.join(", "))]
    Incompatible {
        subject: String,
        details: Vec<String>,
    },
    /// 42201: the message says what is wrong.
    #[error("{0}")]
    InvalidSchema(String),
    /// 42202.
    #[error("The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")]
    InvalidVersion(String),
    /// 42203.
    #[error("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")]
    InvalidCompatibilityLevel,
    /// 42204.
    #[error("Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.")]
    InvalidMode,
    /// 42204: `FORWARD` asked for anywhere but the global context.
    #[error("Forward mode only supported on global level")]
    ForwardModeNotGlobal,
    /// 42205: read-only subject, wrong mode for an explicit id, id conflicts.
    #[error("{0}")]
    OperationNotPermitted(String),
    /// 42206.
    #[error("One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={subject},version={version}}}.")]
    ReferenceExists { subject: String, version: i32 },
    /// 42208.
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    /// 42211: `DELETE /contexts/{context}` of a context that still holds subjects.
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    /// 42210: a data-contract rule set breaks Confluent's rules (`RuleSet.validate`).
    #[error("{0}")]
    InvalidRuleSet(String),
    /// 50001: storage failed (50002: it timed out) while writing `subject` (`None`: the global
    /// config or mode). The client sees Confluent's message; the subject and cause are logged.
    #[error("{message}")]
    Store {
        message: &'static str,
        subject: Option<String>,
        #[source]
        cause: StoreError,
    },
    /// 50004 as it reaches a client: another node is the elected writer (Kafka storage), at
    /// `leader`. The HTTP layer forwards the request there instead (once: a request that was
    /// forwarded already gets this answer); `forwarding` is what the client is told should
    /// that fail (50003).
    #[error("{unknown}")]
    NotLeader {
        leader: String,
        unknown: &'static str,
        forwarding: &'static str,
    },
    /// 50004: no node is known to be the elected writer (an election in progress); the
    /// message is Confluent's for the operation.
    #[error("{0}")]
    UnknownLeader(&'static str),
    /// 50003: forwarding the request to the elected writer failed.
    #[error("{0}")]
    ForwardingFailed(&'static str),
    /// 400: the body is not JSON, or not the JSON this endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    /// 413: the body is larger than the server accepts.
    #[error("Request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// 415.
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    /// 422 (code 422): a required body is missing.
    #[error("Request body is missing or empty")]
    MissingBody,
    /// 404 (code 404): no such route, or a malformed path parameter.
    #[error("HTTP 404 Not Found")]
    NotFound,
    /// 405 (code 405).
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    /// 401 (code 401): no credentials, or not valid ones (the same answer whichever, as
    /// Confluent's Jetty answers).
    #[error("Unauthorized")]
    Unauthorized,
    /// 40301: the principal may not do this (Confluent's wording).
    #[error("User is denied operation {operation} on {resource}")]
    Forbidden {
        operation: &'static str,
        resource: String,
    },
    /// 40450.
    #[error("Exporter '{0}' not found.")]
    ExporterNotFound(String),
    /// 40950.
    #[error("Missing or invalid exporter name: '{0}'")]
    InvalidExporterName(String),
    /// 40951: the message says what is wrong.
    #[error("Missing or invalid exporter config: {0}")]
    InvalidExporterConfig(String),
    /// 40952.
    #[error("Invalid exporter subjects: {0}")]
    InvalidExporterSubjects(String),
    /// 40960.
    #[error("Exporter '{0}' already exists.")]
    ExporterExists(String),
    /// 40961.
    #[error("Exporter '{0}' is already running.")]
    ExporterRunning(String),
    /// 40962.
    #[error("Exporter '{0}' is already paused.")]
    ExporterPaused(String),
    /// 40963.
    #[error("Exporter '{0}' is not paused.")]
    ExporterNotPaused(String),
    /// 503 (code 503): the registry is still replaying its records.
    #[error("The registry is starting: it is replaying its stored records")]
    Starting,
}

impl ApiError {
    /// The HTTP status and Confluent error code of each error. Exhaustive on purpose: a new
    /// variant does not compile until it has both.
    pub fn status_and_code(&self) -> (u16, u32) {
        match self {
            ApiError::SubjectNotFound(_) => (404, 40401),
            ApiError::VersionNotFound(_) => (404, 40402),
            ApiError::SchemaNotFound | ApiError::SchemaIdNotFound(_) => (404, 40403),
            ApiError::SubjectSoftDeleted(_) => (404, 40404),
            ApiError::SubjectNotSoftDeleted(_) => (404, 40405),
            ApiError::VersionSoftDeleted(..) => (404, 40406),
            ApiError::VersionNotSoftDeleted(..) => (404, 40407),
            ApiError::SubjectConfigNotFound(_) => (404, 40408),
            ApiError::SubjectModeNotFound(_) => (404, 40409),
            ApiError::Incompatible { .. } => (409, 409),
            ApiError::InvalidSchema(_) => (422, 42201),
            ApiError::InvalidVersion(_) => (422, 42202),
            ApiError::InvalidCompatibilityLevel => (422, 42203),
            ApiError::InvalidMode | ApiError::ForwardModeNotGlobal => (422, 42204),
            ApiError::OperationNotPermitted(_) => (422, 42205),
            ApiError::ReferenceExists { .. } => (422, 42206),
            ApiError::InvalidSubject(_) => (422, 42208),
            ApiError::InvalidRuleSet(_) => (422, 42210),
            ApiError::ContextNotEmpty(_) => (422, 42211),
            ApiError::Store {
                cause: StoreError::Timeout(_),
                ..
            } => (500, 50002),
            ApiError::Store { .. } => (500, 50001),
            ApiError::ForwardingFailed(_) => (500, 50003),
            ApiError::NotLeader { .. } | ApiError::UnknownLeader(_) => (500, 50004),
            ApiError::BadRequest(_) => (400, 400),
            ApiError::PayloadTooLarge(_) => (413, 413),
            ApiError::UnsupportedMediaType => (415, 415),
            ApiError::MissingBody => (422, 422),
            ApiError::NotFound => (404, 404),
            ApiError::MethodNotAllowed => (405, 405),
            ApiError::Unauthorized => (401, 401),
            ApiError::Forbidden { .. } => (403, 40301),
            ApiError::Starting => (503, 503),
            ApiError::ExporterNotFound(_) => (404, 40450),
            ApiError::InvalidExporterName(_) => (409, 40950),
            ApiError::InvalidExporterConfig(_) => (409, 40951),
            ApiError::InvalidExporterSubjects(_) => (409, 40952),
            ApiError::ExporterExists(_) => (409, 40960),
            ApiError::ExporterRunning(_) => (409, 40961),
            ApiError::ExporterPaused(_) => (409, 40962),
            ApiError::ExporterNotPaused(_) => (409, 40963),
        }
    }
}
