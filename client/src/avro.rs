//! Avro: values (`apache_avro::types::Value`) and serde types, written with the schema the
//! [`SerializerConfig`] selects, read with the writer's schema and, when given, resolved into
//! the reader's (Avro schema resolution).

use std::sync::Arc;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema as AvroSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::memo::Memo;
use crate::types::{Schema, SchemaType};
use crate::wire::{read_header, write_header};
use crate::{Client, Error, Result, SerializerConfig};

/// A parsed Avro schema with the named types its references define.
struct Parsed {
    schema: AvroSchema,
    named: Vec<AvroSchema>,
    /// Whether the schema names types it defines elsewhere (recursion, reuse, references):
    /// only then must each read and write look names up, which costs a walk of the schema.
    uses_names: bool,
}

/// Whether `schema` refers to a named type by name anywhere.
fn uses_names(schema: &AvroSchema) -> bool {
    match schema {
        AvroSchema::Ref { .. } => true,
        AvroSchema::Record(r) => r.fields.iter().any(|f| uses_names(&f.schema)),
        AvroSchema::Array(a) => uses_names(&a.items),
        AvroSchema::Map(m) => uses_names(&m.types),
        AvroSchema::Union(u) => u.variants().iter().any(uses_names),
        _ => false,
    }
}

fn failed(e: apache_avro::Error) -> Error {
    Error::Serialization(e.to_string())
}

impl Parsed {
    fn parse(text: &str, references: &[(String, String)]) -> Result<Parsed> {
        let (schema, named) =
            AvroSchema::parse_str_with_list(text, references.iter().map(|(_, t)| t))
                .map_err(|e| Error::Schema(e.to_string()))?;
        let uses_names = !named.is_empty() || uses_names(&schema);
        Ok(Parsed {
            schema,
            named,
            uses_names,
        })
    }

    /// The names the schema uses, resolved; nothing when it uses none (the per-message case).
    fn names(&self) -> Result<ResolvedSchema<'_>> {
        // apache-avro resolves in order: the referenced types before the schema using them.
        let schemata = if self.uses_names {
            self.named
                .iter()
                .chain(std::iter::once(&self.schema))
                .collect()
        } else {
            Vec::new()
        };
        ResolvedSchema::new_with_schemata(schemata).map_err(failed)
    }

    fn writer(&self) -> Result<GenericDatumWriter<'_>> {
        GenericDatumWriter::builder(&self.schema)
            .resolved_schemata(self.names()?)
            .build()
            .map_err(failed)
    }

    /// `value` in Avro binary, after the header of schema `id`.
    fn frame(&self, id: u32, value: Value) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(64);
        write_header(id, &mut out);
        self.writer()?
            .write_value(&mut out, value)
            .map_err(failed)?;
        Ok(out)
    }

    /// A serde value in Avro binary, after the header of schema `id`.
    fn frame_serde<T: Serialize>(&self, id: u32, value: &T) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(64);
        write_header(id, &mut out);
        self.writer()?.write_ser(&mut out, value).map_err(failed)?;
        Ok(out)
    }
}

async fn parse_registered(client: &Client, schema: &Schema) -> Result<Parsed> {
    let references = client.resolve_references(&schema.references).await?;
    Parsed::parse(&schema.schema, &references)
}

/// A named schema's full name (`namespace.name`), for the record-based subject strategies.
fn full_name(schema: &serde_json::Value) -> Option<String> {
    let name = schema["name"].as_str()?;
    match schema["namespace"].as_str() {
        Some(ns) if !ns.is_empty() && !name.contains('.') => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

/// Writes Avro in Confluent's wire format.
pub struct AvroSerializer {
    client: Client,
    config: SerializerConfig,
    own: Option<(Schema, Option<String>)>,
    /// By topic.
    writers: Memo<String, (u32, Parsed)>,
}

impl AvroSerializer {
    /// A serializer writing with `schema` (Avro JSON text), or with what `config` selects.
    pub fn new(client: Client, schema: Option<Schema>, config: SerializerConfig) -> Result<Self> {
        let own = match schema {
            Some(schema) => {
                let json: serde_json::Value = serde_json::from_str(&schema.schema)
                    .map_err(|e| Error::Schema(format!("not Avro JSON: {e}")))?;
                let name = full_name(&json);
                Some((
                    Schema {
                        schema_type: SchemaType::Avro,
                        ..schema
                    },
                    name,
                ))
            }
            None => None,
        };
        Ok(AvroSerializer {
            writers: config.memo(),
            client,
            config,
            own,
        })
    }

    /// What to write with for `topic`: keyed by topic, so the per-message path formats no
    /// subject name.
    async fn writer(&self, topic: &str) -> Result<Arc<(u32, Parsed)>> {
        if let Some(found) = self.writers.get(topic) {
            return Ok(found);
        }
        Box::pin(self.writers.load(&topic.to_string(), async {
            let record = self.own.as_ref().and_then(|(_, name)| name.as_deref());
            let subject = self
                .config
                .strategy
                .subject(topic, self.config.is_key, record)?;
            let own = self.own.as_ref().map(|(s, _)| s);
            let (id, schema) = self
                .config
                .writer_schema(&self.client, &subject, own)
                .await?;
            Ok(Arc::new((
                id,
                parse_registered(&self.client, &schema).await?,
            )))
        }))
        .await
    }

    /// Frames `value` for `topic`. A value that does not fit the schema is an error.
    pub async fn serialize_value(&self, topic: &str, value: Value) -> Result<Vec<u8>> {
        let writer = self.writer(topic).await?;
        writer.1.frame(writer.0, value)
    }

    /// Frames a serde value for `topic`, written straight from the type.
    pub async fn serialize<T: Serialize>(&self, topic: &str, value: &T) -> Result<Vec<u8>> {
        let writer = self.writer(topic).await?;
        writer.1.frame_serde(writer.0, value)
    }
}

/// Reads Avro in Confluent's wire format.
pub struct AvroDeserializer {
    client: Client,
    reader: Option<Parsed>,
    writers: Memo<u32, Parsed>,
}

impl AvroDeserializer {
    /// A deserializer; with `reader`, values are resolved into that schema.
    pub fn new(client: Client, reader: Option<&str>) -> Result<Self> {
        let reader = reader.map(|text| Parsed::parse(text, &[])).transpose()?;
        Ok(AvroDeserializer {
            client,
            reader,
            writers: Memo::new(None),
        })
    }

    /// The value in a framed message.
    pub async fn deserialize_value(&self, bytes: &[u8]) -> Result<Value> {
        let (id, mut payload) = read_header(bytes)?;
        let writer = match self.writers.get(&id) {
            Some(found) => Ok(found),
            None => {
                Box::pin(self.writers.load(&id, async {
                    let schema = self.client.schema_by_id(id).await?;
                    Ok(Arc::new(parse_registered(&self.client, &schema).await?))
                }))
                .await
            }
        }?;
        let builder =
            GenericDatumReader::builder(&writer.schema).resolved_writer_schemata(writer.names()?);
        let decoder = match &self.reader {
            Some(reader) => builder
                .reader_schema(&reader.schema)
                .resolved_reader_schemata(reader.names()?)
                .build(),
            None => builder.build(),
        }
        .map_err(failed)?;
        let value = decoder.read_value(&mut payload).map_err(failed)?;
        if !payload.is_empty() {
            return Err(Error::Serialization(format!(
                "{} bytes left after the value",
                payload.len()
            )));
        }
        Ok(value)
    }

    /// The framed message as a serde type.
    pub async fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        let value = self.deserialize_value(bytes).await?;
        apache_avro::from_value(&value).map_err(|e| Error::Serialization(e.to_string()))
    }
}
