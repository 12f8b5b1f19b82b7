//! JSON Schema: serde values checked against the schema before they are written (and, by
//! default, after they are read), framed in Confluent's wire format.

use compat::json::JsonSchema;
use compat::{Dependency, ParseOptions};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::memo::Memo;
use crate::rules::{Direction, DomainRules, JsonFormat};
use crate::types::{Schema, SchemaType};
use crate::wire::{locate, Framed, Naming, RecordHeaders, SchemaId};
use crate::{Client, Error, Result, SerializerConfig};

/// A registered schema, parsed, with its domain rules one way.
struct Checked {
    schema: JsonSchema,
    rules: DomainRules,
    /// The schema's JSON, which field rules walk (`Null` when there are no rules).
    text: Value,
}

impl Checked {
    async fn load(client: &Client, schema: &Schema, direction: Direction) -> Result<Checked> {
        let references = client.resolve_references(&schema.references).await?;
        let deps: Vec<Dependency<'_>> = references
            .iter()
            .map(|(name, schema)| Dependency { name, schema })
            .collect();
        let parsed = JsonSchema::parse(&schema.schema, &deps, ParseOptions::default())
            .map_err(|e| Error::Schema(e.to_string()))?;
        let rules = DomainRules::new(schema, direction);
        let text = if rules.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&schema.schema).map_err(|e| Error::Schema(e.to_string()))?
        };
        Ok(Checked {
            schema: parsed,
            rules,
            text,
        })
    }

    /// `value` after the rules (but `failed_rule`: see [`DomainRules::apply`]).
    fn apply(&self, value: Value, failed_rule: Option<&str>) -> Result<Value> {
        if self.rules.is_empty() {
            return Ok(value);
        }
        let format = JsonFormat { schema: &self.text };
        self.rules.apply(&format, value, failed_rule)
    }
}

/// Writes JSON in Confluent's wire format.
///
/// ```no_run
/// use schemata_client::{Client, JsonDeserializer, JsonSerializer, Schema, SchemaType, SerializerConfig};
/// use serde_json::json;
///
/// # async fn run() -> schemata_client::Result<()> {
/// let client = Client::from_url("http://localhost:8081")?;
/// let schema = Schema::new(
///     SchemaType::Json,
///     r#"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#,
/// );
/// let serializer = JsonSerializer::new(client.clone(), Some(schema), SerializerConfig::default());
/// let bytes = serializer.serialize("orders", &json!({"id": 7})).await?;
/// // A value the schema rejects is an error; nothing is produced.
/// assert!(serializer.serialize("orders", &json!({"id": "seven"})).await.is_err());
/// let value = JsonDeserializer::new(client, true).deserialize_value(&bytes).await?;
/// assert_eq!(value, json!({"id": 7}));
/// # Ok(())
/// # }
/// ```
pub struct JsonSerializer {
    client: Client,
    config: SerializerConfig,
    own: Option<Schema>,
    writers: Memo<String, (Naming, Checked)>,
}

impl JsonSerializer {
    /// A serializer writing with `schema` (JSON Schema text), or with what `config` selects.
    pub fn new(client: Client, schema: Option<Schema>, config: SerializerConfig) -> JsonSerializer {
        JsonSerializer {
            writers: config.memo(),
            own: schema.map(|s| Schema {
                schema_type: SchemaType::Json,
                ..s
            }),
            client,
            config,
        }
    }

    /// Frames `value` for `topic`, after the schema's domain rules; a value the schema rejects is
    /// an error and nothing is written.
    pub async fn serialize<T: Serialize>(&self, topic: &str, value: &T) -> Result<Vec<u8>> {
        self.serialize_with_headers(topic, value)
            .await?
            .payload_only()
    }

    /// [`JsonSerializer::serialize`], with the header that names the schema when the config's
    /// `id_format` puts it there.
    pub async fn serialize_with_headers<T: Serialize>(
        &self,
        topic: &str,
        value: &T,
    ) -> Result<Framed> {
        let value = serde_json::to_value(value).map_err(|e| Error::Serialization(e.to_string()))?;
        // Keyed by topic: the per-message path formats no subject name.
        let load = || async {
            let subject = self
                .config
                .strategy
                .subject(topic, self.config.is_key, None)?;
            let (ids, schema) = self
                .config
                .writer_schema(&self.client, &subject, self.own.as_ref())
                .await?;
            let naming = Naming::new(self.config.id_format, self.config.is_key, &ids, None)?;
            let checked = Checked::load(&self.client, &schema, Direction::Write).await?;
            Ok((naming, checked))
        };
        self.writers
            .read(topic, load, |(naming, checked)| {
                let value = checked.apply(value, None)?;
                checked
                    .schema
                    .validate(&value)
                    .map_err(Error::Serialization)?;
                let mut out = naming.start(64);
                serde_json::to_writer(&mut out, &value)
                    .map_err(|e| Error::Serialization(e.to_string()))?;
                Ok(naming.finish(out))
            })
            .await
    }
}

/// Reads JSON in Confluent's wire format, running the writer's schema's domain rules on each
/// value.
pub struct JsonDeserializer {
    client: Client,
    validate: bool,
    /// Reads record keys: their id header is `__key_schema_id`.
    is_key: bool,
    schemas: Memo<SchemaId, Checked>,
}

impl JsonDeserializer {
    /// A deserializer that checks each value against the writer's schema when `validate`. The
    /// schema is fetched (once per id) either way: its domain rules run on every value.
    pub fn new(client: Client, validate: bool) -> JsonDeserializer {
        JsonDeserializer {
            client,
            validate,
            is_key: false,
            schemas: Memo::new(None),
        }
    }

    /// A deserializer of record keys: the id header it reads is `__key_schema_id`, not
    /// `__value_schema_id`.
    pub fn for_keys(self) -> Self {
        JsonDeserializer {
            is_key: true,
            ..self
        }
    }

    /// The value in a framed message.
    pub async fn deserialize_value(&self, bytes: &[u8]) -> Result<Value> {
        self.read_value(RecordHeaders::default(), bytes).await
    }

    /// The value in a record's key or value, named by the record's id header (Confluent 8.x)
    /// when it has one, else by the payload's prefix. Headers as (name, value), a null
    /// header's value `None`.
    pub async fn deserialize_value_with_headers<'h>(
        &self,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
        bytes: &[u8],
    ) -> Result<Value> {
        self.read_value(RecordHeaders::read(headers, self.is_key), bytes)
            .await
    }

    async fn read_value(&self, headers: RecordHeaders<'_>, bytes: &[u8]) -> Result<Value> {
        let (id, payload) = locate(headers.id, bytes)?;
        let value: Value =
            serde_json::from_slice(payload).map_err(|e| Error::Serialization(e.to_string()))?;
        // The writer's schema is needed for its rules even when values are not validated.
        let load = || async {
            let schema = self.client.schema_by(id).await?;
            Checked::load(&self.client, &schema, Direction::Read).await
        };
        self.schemas
            .read(&id, load, |checked| {
                if self.validate {
                    checked
                        .schema
                        .validate(&value)
                        .map_err(Error::Serialization)?;
                }
                checked.apply(value, headers.failed_rule)
            })
            .await
    }

    /// The framed message as a serde type.
    pub async fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        let value = self.deserialize_value(bytes).await?;
        serde_json::from_value(value).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// [`JsonDeserializer::deserialize`] for a record's key or value, named by the record's id
    /// header when it has one.
    pub async fn deserialize_with_headers<'h, T: DeserializeOwned>(
        &self,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
        bytes: &[u8],
    ) -> Result<T> {
        let value = self.deserialize_value_with_headers(headers, bytes).await?;
        serde_json::from_value(value).map_err(|e| Error::Serialization(e.to_string()))
    }
}
