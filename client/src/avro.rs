//! Avro: values (`apache_avro::types::Value`) and serde types, written with the schema the
//! [`SerializerConfig`] selects, read with the writer's schema and, when given, resolved into
//! the reader's (Avro schema resolution).

use std::sync::Arc;

use apache_avro::types::Value;
use moka::future::Cache;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::unshare;
use crate::types::{Schema, SchemaType};
use crate::wire::{read_header, write_header};
use crate::{Client, Error, Result, SerializerConfig};

/// A parsed Avro schema with the named types its references define.
struct Parsed {
    schema: apache_avro::Schema,
    named: Vec<apache_avro::Schema>,
}

impl Parsed {
    fn parse(text: &str, references: &[(String, String)]) -> Result<Parsed> {
        let (schema, named) =
            apache_avro::Schema::parse_str_with_list(text, references.iter().map(|(_, t)| t))
                .map_err(|e| Error::Schema(e.to_string()))?;
        Ok(Parsed { schema, named })
    }

    /// The schema and every named type it may refer to, for the `_schemata` functions.
    fn all(&self) -> Vec<&apache_avro::Schema> {
        std::iter::once(&self.schema).chain(&self.named).collect()
    }

    fn encode(&self, value: Value, out: &mut Vec<u8>) -> Result<()> {
        let bytes = if self.named.is_empty() {
            apache_avro::to_avro_datum(&self.schema, value)
        } else {
            apache_avro::to_avro_datum_schemata(&self.schema, self.all(), value)
        };
        out.extend_from_slice(&bytes.map_err(|e| Error::Serialization(e.to_string()))?);
        Ok(())
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
    writers: Cache<String, Arc<(u32, Parsed)>>,
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
            writers: config.cache(),
            client,
            config,
            own,
        })
    }

    async fn writer(&self, topic: &str) -> Result<Arc<(u32, Parsed)>> {
        let record = self.own.as_ref().and_then(|(_, name)| name.as_deref());
        let subject = self
            .config
            .strategy
            .subject(topic, self.config.is_key, record)?;
        if let Some(found) = self.writers.get(&subject).await {
            return Ok(found);
        }
        self.writers
            .try_get_with(subject.clone(), async {
                let own = self.own.as_ref().map(|(s, _)| s);
                let (id, schema) = self
                    .config
                    .writer_schema(&self.client, &subject, own)
                    .await?;
                Ok::<_, Error>(Arc::new((
                    id,
                    parse_registered(&self.client, &schema).await?,
                )))
            })
            .await
            .map_err(unshare)
    }

    /// Frames `value` for `topic`. A value that does not fit the schema is an error.
    pub async fn serialize_value(&self, topic: &str, value: Value) -> Result<Vec<u8>> {
        let writer = self.writer(topic).await?;
        let mut out = Vec::with_capacity(64);
        write_header(writer.0, &mut out);
        writer.1.encode(value, &mut out)?;
        Ok(out)
    }

    /// Frames a serde value for `topic`, written straight from the type.
    pub async fn serialize<T: Serialize>(&self, topic: &str, value: &T) -> Result<Vec<u8>> {
        let writer = self.writer(topic).await?;
        let mut out = Vec::with_capacity(64);
        write_header(writer.0, &mut out);
        if writer.1.named.is_empty() {
            apache_avro::write_avro_datum_ref(&writer.1.schema, value, &mut out)
                .map_err(|e| Error::Serialization(e.to_string()))?;
        } else {
            let value =
                apache_avro::to_value(value).map_err(|e| Error::Serialization(e.to_string()))?;
            writer.1.encode(value, &mut out)?;
        }
        Ok(out)
    }
}

/// Reads Avro in Confluent's wire format.
pub struct AvroDeserializer {
    client: Client,
    reader: Option<apache_avro::Schema>,
    writers: Cache<u32, Arc<Parsed>>,
}

impl AvroDeserializer {
    /// A deserializer; with `reader`, values are resolved into that schema.
    pub fn new(client: Client, reader: Option<&str>) -> Result<Self> {
        let reader = reader
            .map(apache_avro::Schema::parse_str)
            .transpose()
            .map_err(|e| Error::Schema(e.to_string()))?;
        Ok(AvroDeserializer {
            client,
            reader,
            writers: Cache::new(1_000),
        })
    }

    /// The value in a framed message.
    pub async fn deserialize_value(&self, bytes: &[u8]) -> Result<Value> {
        let (id, mut payload) = read_header(bytes)?;
        let writer = self
            .writers
            .try_get_with(id, async {
                let schema = self.client.schema_by_id(id).await?;
                Ok::<_, Error>(Arc::new(parse_registered(&self.client, &schema).await?))
            })
            .await
            .map_err(unshare)?;
        let value = apache_avro::from_avro_datum_schemata(
            &writer.schema,
            writer.all(),
            &mut payload,
            self.reader.as_ref(),
        )
        .map_err(|e| Error::Serialization(e.to_string()))?;
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
