//! What every format shares: the schema type, references, parse options and the parsed
//! [`Schema`] that dispatches to the format modules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::avro::AvroSchema;
use crate::change::Change;
use crate::json::JsonSchema;
use crate::protobuf::ProtobufSchema;
use crate::ParseError;

/// The schema languages of the Confluent API. Spelled exactly as on the wire (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// Every type the API knows, whether or not this build can parse it.
    pub const ALL: [SchemaType; 3] = [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json];

    /// The wire name: `AVRO`, `PROTOBUF` or `JSON`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SchemaType {
    type Err = ();

    /// Case-sensitive, as Confluent matches providers: `"avro"` is not a schema type.
    fn from_str(s: &str) -> Result<Self, ()> {
        SchemaType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(())
    }
}

/// A reference from one schema to another registered schema.
///
/// `name` is what the referring schema uses: an Avro full name, a Protobuf import path or a JSON
/// Schema `$ref` URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A referenced schema's text, already fetched by the caller. A schema's dependencies are the
/// transitive closure of its references, dependencies of a dependency before the dependency.
#[derive(Debug, Clone, Copy)]
pub struct Dependency<'a> {
    /// The reference name the referring schema uses.
    pub name: &'a str,
    /// The registered (canonical) text of the referenced schema.
    pub schema: &'a str,
}

/// How to parse.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Rewrite into the format's normalized form before producing the canonical text.
    pub normalize: bool,
    /// Validate strictly, as for a new registration (names, defaults). Schemas already stored
    /// are parsed leniently.
    pub validate: bool,
}

/// A parsed schema of any type, with its canonical text.
#[derive(Debug)]
pub enum Schema {
    Avro(AvroSchema),
    Protobuf(ProtobufSchema),
    Json(JsonSchema),
}

impl Schema {
    /// The schema's type.
    pub fn schema_type(&self) -> SchemaType {
        match self {
            Schema::Avro(_) => SchemaType::Avro,
            Schema::Protobuf(_) => SchemaType::Protobuf,
            Schema::Json(_) => SchemaType::Json,
        }
    }

    /// The canonical text: what the registry stores, returns and hashes into the identity.
    pub fn canonical(&self) -> &str {
        match self {
            Schema::Avro(s) => s.canonical(),
            Schema::Protobuf(s) => s.canonical(),
            Schema::Json(s) => s.canonical(),
        }
    }

    /// Whether `name` is a field at the schema's top level, as Confluent's `hasTopLevelField`
    /// sees it: an Avro root record's field, a JSON Schema's top-level property, a field
    /// (outside oneofs) of a Protobuf file's top-level message.
    pub fn has_top_level_field(&self, name: &str) -> bool {
        match self {
            Schema::Avro(s) => s.top_level_fields().contains(&name),
            Schema::Protobuf(s) => s.has_top_level_field(name),
            Schema::Json(s) => s.top_level_fields().contains(&name),
        }
    }

    /// Every difference a reader using `self` sees in data written with `writer`, compatible or
    /// not. `None` when the two are of different types.
    pub fn changes_reading(&self, writer: &Schema) -> Option<Vec<Change>> {
        match (self, writer) {
            (Schema::Avro(reader), Schema::Avro(writer)) => Some(reader.can_read(writer)),
            (Schema::Protobuf(reader), Schema::Protobuf(writer)) => Some(reader.can_read(writer)),
            (Schema::Json(reader), Schema::Json(writer)) => Some(reader.can_read(writer)),
            _ => None,
        }
    }
}

/// Parses `text` as a schema of type `ty`, with the texts of its dependencies.
pub fn parse(
    ty: SchemaType,
    text: &str,
    dependencies: &[Dependency<'_>],
    options: ParseOptions,
) -> Result<Schema, ParseError> {
    match ty {
        SchemaType::Avro => AvroSchema::parse(text, dependencies, options).map(Schema::Avro),
        SchemaType::Protobuf => {
            ProtobufSchema::parse(text, dependencies, options).map(Schema::Protobuf)
        }
        SchemaType::Json => JsonSchema::parse(text, dependencies, options).map(Schema::Json),
    }
}
