//! The checker's change vocabulary, shared by every format, by the compatibility report and by
//! the diff view (whose Protobuf and JSON Schema differences, in [`diff`](mod@crate::diff), are
//! these changes judged both ways).
//!
//! Walking two schemas produces [`Change`]s; whether a change breaks compatibility is decided in
//! one place, [`ChangeKind::is_compatible`]. Messages are rendered from a change and the roles of
//! the two schemas, so the same change reads correctly under BACKWARD ("new" reads "old") and
//! FORWARD ("old" reads "new").

use std::fmt;

use serde::Serialize;

use crate::avro::AvroChange;
use crate::json::JsonChange;
use crate::protobuf::ProtobufChange;

/// One difference between a reader and a writer schema, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Where: a JSON pointer for Avro (`/fields/1/type`), a Confluent path for Protobuf and JSON
    /// Schema (`#/Msg/3`, `#/properties/foo`).
    pub path: String,
    /// Format-specific detail (Avro's `additionalInfo`, e.g. `expected: com.acme.Order`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
}

/// The kind of a change, per format. Ids are stable SCREAMING_SNAKE strings, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum ChangeKind {
    Avro(AvroChange),
    Protobuf(ProtobufChange),
    Json(JsonChange),
}

impl From<ChangeKind> for &'static str {
    fn from(kind: ChangeKind) -> Self {
        kind.id()
    }
}

/// Which set of changes counts as compatible where a format offers a choice (JSON Schema's
/// open content models; compat-rules §3.4). Avro and Protobuf ignore it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Policy {
    #[default]
    Strict,
    Lenient,
}

impl Policy {
    /// The name Confluent's `compatibilityPolicy` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Strict => "STRICT",
            Policy::Lenient => "LENIENT",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Policy {
    type Err = ();

    /// Case-insensitive.
    fn from_str(s: &str) -> Result<Policy, ()> {
        [Policy::Strict, Policy::Lenient]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// The part a schema plays in a message: the candidate ("new") or a registered one ("old").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    New,
    Old,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::New => "new",
            Role::Old => "old",
        })
    }
}

impl ChangeKind {
    /// The stable rule id, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
    pub fn id(self) -> &'static str {
        match self {
            ChangeKind::Avro(k) => k.id(),
            ChangeKind::Protobuf(k) => k.id(),
            ChangeKind::Json(k) => k.id(),
        }
    }

    /// Whether a reader can live with this change. The one decision of compatibility.
    pub fn is_compatible(self, policy: Policy) -> bool {
        match self {
            // The Avro walk reports only what breaks reading.
            ChangeKind::Avro(_) => false,
            ChangeKind::Protobuf(k) => k.is_compatible(),
            ChangeKind::Json(k) => k.is_compatible(policy),
        }
    }
}

impl Change {
    /// The message Confluent shows for this change, `reader` and `writer` naming the roles.
    pub fn message(&self, reader: Role, writer: Role) -> String {
        match self.kind {
            ChangeKind::Avro(kind) => kind.message(self, reader, writer),
            ChangeKind::Protobuf(kind) => kind.message(self, reader, writer),
            ChangeKind::Json(kind) => kind.message(self, reader, writer),
        }
    }
}
