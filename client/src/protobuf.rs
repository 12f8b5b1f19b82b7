//! Protobuf: messages that know their descriptor (`prost_reflect::ReflectMessage`: dynamic
//! messages and prost-reflect-derived types), framed with their message indexes; read back as
//! `DynamicMessage`s, or as prost types.

use base64::Engine;
use compat::protobuf::ProtobufSchema;
use compat::{Dependency, ParseOptions};
use prost::Message;
use prost_reflect::{DynamicMessage, FileDescriptor, ReflectMessage};

use crate::memo::Memo;
use crate::rules::{Direction, DomainRules, ProtobufFormat};
use crate::strategy::SchemaSelection;
use crate::types::{Schema, SchemaReference, SchemaType};
use crate::wire::{locate_protobuf, Framed, Naming, RecordHeaders, SchemaId};
use crate::{Client, Error, Result, SerializerConfig};

/// Files every registry ships (no reference needed).
fn is_built_in(file: &str) -> bool {
    ["google/protobuf/", "google/type/", "confluent/"]
        .iter()
        .any(|prefix| file.starts_with(prefix))
}

/// A file as the registry takes it: its descriptor, base64-encoded (what Confluent's Python
/// serializer sends; the registry stores it as `.proto` text).
fn file_schema(file: &FileDescriptor, references: Vec<SchemaReference>) -> Schema {
    let bytes = file.file_descriptor_proto().encode_to_vec();
    Schema {
        schema: base64::engine::general_purpose::STANDARD.encode(bytes),
        schema_type: SchemaType::Protobuf,
        references,
        rule_set: None,
        metadata: None,
    }
}

async fn parse_registered(client: &Client, schema: &Schema) -> Result<ProtobufSchema> {
    let references = client.resolve_references(&schema.references).await?;
    let deps: Vec<Dependency<'_>> = references
        .iter()
        .map(|(name, schema)| Dependency { name, schema })
        .collect();
    ProtobufSchema::parse(&schema.schema, &deps, ParseOptions::default())
        .map_err(|e| Error::Schema(e.to_string()))
}

/// Writes Protobuf in Confluent's wire format.
///
/// ```no_run
/// use schemata_client::prost_reflect::{DescriptorPool, DynamicMessage, Value};
/// use schemata_client::{Client, ProtobufDeserializer, ProtobufSerializer, SerializerConfig};
///
/// # async fn run(pool: DescriptorPool) -> schemata_client::Result<()> {
/// // `pool` holds your compiled .proto files (e.g. from prost-reflect-build).
/// let client = Client::from_url("http://localhost:8081")?;
/// let mut order = DynamicMessage::new(pool.get_message_by_name("acme.Order").unwrap());
/// order.set_field_by_name("id", Value::I64(7));
/// // Registers the file (its imports as references) under `orders-value` on first use.
/// let serializer = ProtobufSerializer::new(client.clone(), SerializerConfig::default());
/// let bytes = serializer.serialize("orders", &order).await?;
/// let back = ProtobufDeserializer::new(client).deserialize(&bytes).await?;
/// assert_eq!(back.get_field_by_name("id").unwrap().as_i64(), Some(7));
/// # Ok(())
/// # }
/// ```
pub struct ProtobufSerializer {
    client: Client,
    config: SerializerConfig,
    /// How the schema is named (id and message indexes), and its domain rules, per subject and
    /// message.
    writers: Memo<String, (Naming, DomainRules)>,
}

impl ProtobufSerializer {
    pub fn new(client: Client, config: SerializerConfig) -> ProtobufSerializer {
        ProtobufSerializer {
            writers: config.memo(),
            client,
            config,
        }
    }

    /// The schema of `file` with its imports registered (or looked up) as references under
    /// subjects named after the imported files, as Confluent's serializers do.
    async fn own_schema(&self, file: &FileDescriptor) -> Result<Schema> {
        let mut references = Vec::new();
        for dep in file.dependencies() {
            if is_built_in(dep.name()) {
                continue;
            }
            let schema = Box::pin(self.own_schema(&dep)).await?;
            if self.config.selection == SchemaSelection::AutoRegister {
                self.client
                    .register(dep.name(), &schema, self.config.normalize)
                    .await?;
            }
            let found = self
                .client
                .lookup(dep.name(), &schema, self.config.normalize)
                .await?;
            references.push(SchemaReference {
                name: dep.name().to_string(),
                subject: dep.name().to_string(),
                version: found.version,
            });
        }
        Ok(file_schema(file, references))
    }

    /// Frames `message` for `topic`.
    pub async fn serialize<M: ReflectMessage>(&self, topic: &str, message: &M) -> Result<Vec<u8>> {
        self.serialize_with_headers(topic, message)
            .await?
            .payload_only()
    }

    /// [`ProtobufSerializer::serialize`], with the header that names the schema (and holds the
    /// message indexes) when the config's `id_format` puts it there.
    pub async fn serialize_with_headers<M: ReflectMessage>(
        &self,
        topic: &str,
        message: &M,
    ) -> Result<Framed> {
        let descriptor = message.descriptor();
        let name = descriptor.full_name();
        let subject = self
            .config
            .strategy
            .subject(topic, self.config.is_key, Some(name))?;
        let key = format!("{subject}\u{0}{name}");
        let load = || async {
            let own = match self.config.selection {
                SchemaSelection::AutoRegister | SchemaSelection::LookUp => {
                    Some(self.own_schema(&descriptor.parent_file()).await?)
                }
                _ => None,
            };
            let (ids, schema) = self
                .config
                .writer_schema(&self.client, &subject, own.as_ref())
                .await?;
            let parsed = parse_registered(&self.client, &schema).await?;
            let indexes = parsed
                .message_indexes(name)
                .ok_or_else(|| Error::Schema(format!("schema {} has no message {name}", ids.id)))?;
            let config = &self.config;
            let naming = Naming::new(config.id_format, config.is_key, &ids, Some(&indexes))?;
            Ok((naming, DomainRules::new(&schema, Direction::Write)))
        };
        let capacity = message.encoded_len() + 8;
        let frame = |(naming, rules): &(Naming, DomainRules)| {
            let mut out = naming.start(capacity);
            let encoded = if rules.is_empty() {
                message.encode(&mut out)
            } else {
                let format = ProtobufFormat {
                    descriptor: &descriptor,
                };
                let checked = rules.apply(&format, message.transcode_to_dynamic(), None)?;
                checked.encode(&mut out)
            };
            encoded.map_err(|e| Error::Serialization(e.to_string()))?;
            Ok(naming.finish(out))
        };
        self.writers.read(&key, load, frame).await
    }
}

/// Reads Protobuf in Confluent's wire format.
pub struct ProtobufDeserializer {
    client: Client,
    /// Reads record keys: their id header is `__key_schema_id`.
    is_key: bool,
    /// The writer's schema and its domain rules.
    schemas: Memo<SchemaId, (ProtobufSchema, DomainRules)>,
}

impl ProtobufDeserializer {
    pub fn new(client: Client) -> ProtobufDeserializer {
        ProtobufDeserializer {
            client,
            is_key: false,
            schemas: Memo::new(None),
        }
    }

    /// A deserializer of record keys: the id header it reads is `__key_schema_id`, not
    /// `__value_schema_id`.
    pub fn for_keys(self) -> Self {
        ProtobufDeserializer {
            is_key: true,
            ..self
        }
    }

    /// The message in a framed message, as described by the writer's schema.
    pub async fn deserialize(&self, bytes: &[u8]) -> Result<DynamicMessage> {
        self.read(RecordHeaders::default(), bytes).await
    }

    /// The message in a record's key or value, named (with its message indexes) by the
    /// record's id header (Confluent 8.x) when it has one, else by the payload's prefix.
    /// Headers as (name, value), a null header's value `None`.
    pub async fn deserialize_with_headers<'h>(
        &self,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
        bytes: &[u8],
    ) -> Result<DynamicMessage> {
        self.read(RecordHeaders::read(headers, self.is_key), bytes)
            .await
    }

    async fn read(&self, headers: RecordHeaders<'_>, bytes: &[u8]) -> Result<DynamicMessage> {
        let (id, indexes, payload) = locate_protobuf(headers.id, bytes)?;
        let load = || async {
            let schema = self.client.schema_by(id).await?;
            if schema.schema_type != SchemaType::Protobuf {
                return Err(Error::Schema(format!("schema {id} is not Protobuf")));
            }
            let rules = DomainRules::new(&schema, Direction::Read);
            Ok((parse_registered(&self.client, &schema).await?, rules))
        };
        self.schemas
            .read(&id, load, |(schema, rules)| {
                let descriptor = schema.message_at(&indexes).ok_or_else(|| {
                    Error::InvalidFrame(format!("schema {id} has no message at {indexes:?}"))
                })?;
                let message = DynamicMessage::decode(descriptor.clone(), payload)
                    .map_err(|e| Error::Serialization(e.to_string()))?;
                if rules.is_empty() {
                    return Ok(message);
                }
                let format = ProtobufFormat {
                    descriptor: &descriptor,
                };
                rules.apply(&format, message, headers.failed_rule)
            })
            .await
    }

    /// The payload of a framed message as a prost type (the schema is not consulted).
    pub fn deserialize_as<M: Message + Default>(&self, bytes: &[u8]) -> Result<M> {
        let (_, _, payload) = locate_protobuf(None, bytes)?;
        M::decode(payload).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// [`ProtobufDeserializer::deserialize_as`] for a record whose id header, when it has one,
    /// holds the id and message indexes (then the payload is all message).
    pub fn deserialize_as_with_headers<'h, M: Message + Default>(
        &self,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
        bytes: &[u8],
    ) -> Result<M> {
        let (_, _, payload) = locate_protobuf(RecordHeaders::read(headers, self.is_key).id, bytes)?;
        M::decode(payload).map_err(|e| Error::Serialization(e.to_string()))
    }
}
