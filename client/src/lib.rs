//! A client for Confluent-compatible schema registries (Schemata first), with serializers and
//! deserializers that speak Confluent's wire format byte for byte and ask the registry once per
//! schema, not once per message.
//!
//! # Quick start
//!
//! ```no_run
//! use schemata_client::{AvroDeserializer, AvroSerializer, Client, Schema, SchemaType, SerializerConfig};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Order {
//!     id: i64,
//!     item: String,
//! }
//!
//! # async fn run() -> schemata_client::Result<()> {
//! let client = Client::from_url("http://localhost:8081")?;
//! let schema = Schema::new(
//!     SchemaType::Avro,
//!     r#"{"type":"record","name":"Order","namespace":"acme","fields":[
//!         {"name":"id","type":"long"},{"name":"item","type":"string"}]}"#,
//! );
//! // Registers the schema under `orders-value` on first use, then only frames messages.
//! let serializer = AvroSerializer::new(client.clone(), Some(schema), SerializerConfig::default())?;
//! let order = Order { id: 1, item: "tea".into() };
//! let bytes = serializer.serialize("orders", &order).await?;
//! assert_eq!(bytes[0], 0); // magic byte, then the schema id, then Avro binary
//!
//! let deserializer = AvroDeserializer::new(client, None)?;
//! let back: Order = deserializer.deserialize(&bytes).await?;
//! assert_eq!(back, order);
//! # Ok(())
//! # }
//! ```
//!
//! JSON Schema works the same way with [`JsonSerializer`] (values are validated before they are
//! written), Protobuf with [`ProtobufSerializer`] over any `prost_reflect::ReflectMessage`
//! (message indexes included); each has an example on its type. `examples/interop.rs` frames
//! one record in all three formats. [`SerializerConfig`] picks the subject name strategy and
//! whether to auto-register, look up, use the latest version or a fixed id.
//!
//! # Layout
//! - `client.rs`: [`Client`], the REST API with failover, retries and caches.
//! - `wire.rs`: the frame (magic byte, id or GUID, Protobuf message indexes) and the record
//!   headers that carry it instead (Confluent 8.x); `guid.rs`: GUIDs.
//! - `varint.rs`: varints, plain and zig-zag, the one implementation under the message indexes
//!   and the Avro coders.
//! - `strategy.rs`: subject name strategies and schema selection.
//! - `memo.rs`: the per-message lookups (one atomic load), loaded once per key.
//! - `rules/`: domain rules (CEL, CEL_FIELD) on each message: the engine and actions in
//!   `mod.rs`, each format's binding to CEL in `avro.rs`, `json.rs`, `protobuf.rs`, field walks'
//!   shared parts in `fields.rs`, JSON conversions in `values.rs`, Confluent's CEL string
//!   checks in `functions.rs`.
//! - `avro/`, `protobuf.rs`, `json.rs`: the serializers and deserializers. The client reads Avro
//!   with its own decoders: `avro/decode.rs` for values, `avro/decode_serde.rs` for serde types,
//!   both on `avro/input.rs` (the payload's bytes and the limits on what they may cost); it
//!   writes serde types and values on the common path with `avro/encode_serde.rs` and
//!   `avro/encode_value.rs` (on `avro/output.rs`; the serde coders share
//!   `avro/serde_context.rs`), and explains values apache-avro's writer refuses with
//!   `avro/misfit.rs`.

mod avro;
mod client;
mod error;
mod guid;
mod json;
mod memo;
mod protobuf;
mod rules;
mod strategy;
mod types;
mod varint;
pub mod wire;

pub use avro::{AvroDeserializer, AvroSerializer};
pub use client::{Auth, Client, ClientConfig};
pub use error::{Error, Result};
pub use guid::Guid;
pub use json::{JsonDeserializer, JsonSerializer};
pub use protobuf::{ProtobufDeserializer, ProtobufSerializer};
pub use strategy::{SchemaSelection, SerializerConfig, SubjectNameStrategy};
pub use types::{
    Compatibility, Config, Metadata, Mode, RegisteredSchema, Registration, Rule, RuleSet, Schema,
    SchemaIds, SchemaReference, SchemaType, SubjectVersion,
};
pub use wire::{Framed, IdHeader, SchemaId, SchemaIdFormat};

pub use apache_avro;
pub use prost_reflect;
