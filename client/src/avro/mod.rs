//! Avro: values (`apache_avro::types::Value`) and serde types, written with the schema the
//! [`SerializerConfig`] selects, read with the writer's schema and, when given, resolved into
//! the reader's (Avro schema resolution).

mod decode;
mod decode_serde;
mod encode_serde;
mod encode_value;
#[cfg(test)]
mod fixtures;
mod input;
mod misfit;
mod output;
mod serde_context;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use apache_avro::error::Details;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::util::{set_serde_human_readable, DEFAULT_SERDE_HUMAN_READABLE};
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema as AvroSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::memo::Memo;
use crate::rules::{AvroFormat, Direction, DomainRules};
use crate::types::{Schema, SchemaType};
use crate::wire::{locate, Framed, Naming, RecordHeaders, SchemaId};
use crate::{Client, Error, Result, SerializerConfig};
use decode::Decoder;
use decode_serde::decode_serde;
use encode_serde::encode_serde;
use encode_value::encode_value;

/// A parsed Avro schema with the named types its references define.
struct Parsed {
    schema: AvroSchema,
    named: Vec<AvroSchema>,
}

fn failed(e: apache_avro::Error) -> Error {
    Error::Serialization(e.to_string())
}

impl Parsed {
    fn parse(text: &str, references: &[(String, String)]) -> Result<Parsed> {
        let (schema, named) =
            AvroSchema::parse_str_with_list(text, references.iter().map(|(_, t)| t))
                .map_err(|e| Error::Schema(e.to_string()))?;
        Ok(Parsed { schema, named })
    }

    /// The named types the schema can use, resolved (the referenced types before the schema
    /// using them, the order apache-avro resolves in).
    fn names(&self) -> Result<ResolvedSchema<'_>> {
        let schemata = self.named.iter().chain(std::iter::once(&self.schema));
        ResolvedSchema::new_with_schemata(schemata.collect()).map_err(failed)
    }

    fn writer(&self) -> Result<GenericDatumWriter<'_>> {
        GenericDatumWriter::builder(&self.schema)
            .resolved_schemata(self.names()?)
            .build()
            .map_err(failed)
    }
}

/// What a writer writes with, all borrowed from its schema.
struct Writing<'s> {
    /// apache-avro's writer, for the values that leave the common path.
    writer: GenericDatumWriter<'s>,
    /// The named types the schema uses, for our writers.
    names: ResolvedSchema<'s>,
    /// apache-avro's serde setting, which both writers follow.
    human_readable: bool,
}

/// A registered schema with the writers for it, built once: they borrow the schema, so they
/// live together and no message pays for building them.
#[ouroboros::self_referencing]
struct Writer {
    /// The id (or GUID) before each payload, or the header beside it.
    naming: Naming,
    /// The schema's domain rules that run on writing.
    rules: DomainRules,
    /// The buffer to start a frame with: the largest frame so far, up to [`MAX_START_BUFFER`],
    /// so that a producer's messages are written without growing their buffer.
    start_buffer: AtomicUsize,
    parsed: Parsed,
    #[borrows(parsed)]
    #[covariant]
    writing: Writing<'this>,
}

impl Writer {
    fn build_for(naming: Naming, rules: DomainRules, parsed: Parsed) -> Result<Writer> {
        WriterTryBuilder {
            naming,
            rules,
            start_buffer: AtomicUsize::new(64),
            parsed,
            writing_builder: |parsed: &Parsed| {
                Ok(Writing {
                    writer: parsed.writer()?,
                    names: parsed.names()?,
                    human_readable: human_readable(),
                })
            },
        }
        .try_build()
    }

    /// `value` in Avro binary, named as the config says: by our writer on the common path,
    /// else by apache-avro's.
    fn frame(&self, value: Value) -> Result<Framed> {
        let schema = &self.borrow_parsed().schema;
        let rules = self.borrow_rules();
        let value = if rules.is_empty() {
            value
        } else {
            let names = self.borrow_writing().names.get_names();
            rules.apply(&AvroFormat { schema, names }, value, None)?
        };
        self.frame_with(|writing, out| {
            let start = out.len();
            if encode_value(&value, schema, writing.names.get_names(), out) {
                return Ok(());
            }
            out.truncate(start);
            writing
                .writer
                .write_value_ref(out, &value)
                .map(drop)
                .map_err(|e| refused(e, &value, schema, writing))
        })
    }

    /// A serde value in Avro binary, named as the config says: by our writer on the common
    /// path, else by apache-avro's.
    fn frame_serde<T: Serialize>(&self, value: &T) -> Result<Framed> {
        let schema = &self.borrow_parsed().schema;
        if !self.borrow_rules().is_empty() {
            // Rules see values: the type becomes one, in the schema's shape, first.
            let names = self.borrow_writing().names.get_names();
            let value = apache_avro::to_value(value)
                .and_then(|v| v.resolve_with_names(schema, names))
                .map_err(failed)?;
            return self.frame(value);
        }
        self.frame_with(|writing, out| {
            let start = out.len();
            let names = writing.names.get_names();
            if encode_serde(value, schema, names, writing.human_readable, out) {
                return Ok(());
            }
            out.truncate(start);
            writing
                .writer
                .write_ser(out, value)
                .map(drop)
                .map_err(failed)
        })
    }

    fn frame_with(
        &self,
        write: impl FnOnce(&Writing<'_>, &mut Vec<u8>) -> Result<()>,
    ) -> Result<Framed> {
        let start_buffer = self.borrow_start_buffer();
        let naming = self.borrow_naming();
        let mut out = naming.start(start_buffer.load(Ordering::Relaxed));
        write(self.borrow_writing(), &mut out)?;
        // Written only when a frame is larger than all before it: rare, so producers on many
        // threads do not contend for the line.
        if out.len() > start_buffer.load(Ordering::Relaxed) {
            start_buffer.fetch_max(out.len().min(MAX_START_BUFFER), Ordering::Relaxed);
        }
        Ok(naming.finish(out))
    }
}

/// apache-avro's error for a value it would not write; when it says only that the value does
/// not match, with where and why (worked out only now, on the way out).
#[cold]
fn refused(
    e: apache_avro::Error,
    value: &Value,
    schema: &AvroSchema,
    writing: &Writing<'_>,
) -> Error {
    if matches!(e.details(), Details::Validation) {
        if let Some(why) = misfit::explain(value, schema, writing.names.get_names()) {
            return Error::Serialization(format!("{e}: {why}"));
        }
    }
    failed(e)
}

/// One unusually large message should not make every later one allocate as much.
const MAX_START_BUFFER: usize = 4096;

/// A writer's schema and, when the application gives one, the reader's schema.
struct Schemas {
    writer: Parsed,
    reader: Option<Arc<Parsed>>,
}

/// What a reader reads with, all borrowed from its [`Schemas`].
struct Reading<'s> {
    /// The writer's data as `Value`s.
    decoder: Decoder,
    /// The named types the writer's schema uses.
    names: ResolvedSchema<'s>,
    /// apache-avro's serde setting, which its serializer used too.
    human_readable: bool,
    /// The application's reader schema and its named types, when it gave one: values are
    /// resolved into it.
    resolve_into: Option<(&'s AvroSchema, ResolvedSchema<'s>)>,
}

/// The reader for one writer schema (and the application's reader schema), built once per
/// schema id, as [`Writer`] is.
#[ouroboros::self_referencing]
struct Reader {
    /// The writer's domain rules that run on reading.
    rules: DomainRules,
    schemas: Schemas,
    #[borrows(schemas)]
    #[covariant]
    reading: Reading<'this>,
}

impl Reader {
    fn build_for(rules: DomainRules, schemas: Schemas) -> Result<Reader> {
        ReaderTryBuilder {
            rules,
            schemas,
            reading_builder: |schemas: &Schemas| {
                let writer = &schemas.writer;
                let names = writer.names()?;
                let resolve_into = match &schemas.reader {
                    Some(reader) => Some((&reader.schema, reader.names()?)),
                    None => None,
                };
                Ok(Reading {
                    decoder: Decoder::new(&writer.schema, names.get_names())?,
                    names,
                    human_readable: human_readable(),
                    resolve_into,
                })
            },
        }
        .try_build()
    }

    /// The value in `payload`, which it must fill exactly. With a reader schema, the writer's
    /// value is resolved into it as apache-avro's own reader does, after our decoder has read it
    /// within its limits.
    fn read_value(&self, payload: &[u8], failed_rule: Option<&str>) -> Result<Value> {
        let reading = self.borrow_reading();
        let mut value = reading.decoder.decode(payload)?;
        let rules = self.borrow_rules();
        if !rules.is_empty() {
            // The writer's rules, on the writer's value: a reader schema may name fields
            // otherwise.
            let schema = &self.borrow_schemas().writer.schema;
            let names = reading.names.get_names();
            value = rules.apply(&AvroFormat { schema, names }, value, failed_rule)?;
        }
        match &reading.resolve_into {
            None => Ok(value),
            Some((schema, names)) => value
                .resolve_with_names(schema, names.get_names())
                .map_err(failed),
        }
    }

    /// `payload` as a serde type: straight from the bytes when there is no reader schema to
    /// resolve into and no rule to run, else through the `Value`.
    fn read_serde<T: DeserializeOwned>(
        &self,
        payload: &[u8],
        failed_rule: Option<&str>,
    ) -> Result<T> {
        let reading = self.borrow_reading();
        if reading.resolve_into.is_some() || !self.borrow_rules().is_empty() {
            let value = self.read_value(payload, failed_rule)?;
            return apache_avro::from_value(&value).map_err(failed);
        }
        let schema = &self.borrow_schemas().writer.schema;
        decode_serde(
            schema,
            reading.names.get_names(),
            reading.human_readable,
            payload,
        )
    }
}

/// apache-avro's serde setting (whether serde types pick their human-readable form), which its
/// writers and readers follow: this reads it, and fixes the default only if no one set it.
fn human_readable() -> bool {
    set_serde_human_readable(DEFAULT_SERDE_HUMAN_READABLE)
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
    writers: Memo<String, Writer>,
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

    /// The writer for `topic`, from the registry: what a miss loads. Entries are keyed by
    /// topic, so the per-message path formats no subject name.
    async fn load_writer(&self, topic: &str) -> Result<Writer> {
        let record = self.own.as_ref().and_then(|(_, name)| name.as_deref());
        let subject = self
            .config
            .strategy
            .subject(topic, self.config.is_key, record)?;
        let own = self.own.as_ref().map(|(s, _)| s);
        let (ids, schema) = self
            .config
            .writer_schema(&self.client, &subject, own)
            .await?;
        let naming = Naming::new(self.config.id_format, self.config.is_key, &ids, None)?;
        let rules = DomainRules::new(&schema, Direction::Write);
        let parsed = parse_registered(&self.client, &schema).await?;
        Writer::build_for(naming, rules, parsed)
    }

    /// Frames `value` for `topic`. A value that does not fit the schema is an error.
    pub async fn serialize_value(&self, topic: &str, value: Value) -> Result<Vec<u8>> {
        self.serialize_value_with_headers(topic, value)
            .await?
            .payload_only()
    }

    /// [`AvroSerializer::serialize_value`], with the header that names the schema when the
    /// config's `id_format` puts it there.
    pub async fn serialize_value_with_headers(&self, topic: &str, value: Value) -> Result<Framed> {
        let load = || self.load_writer(topic);
        self.writers
            .read(topic, load, |writer| writer.frame(value))
            .await
    }

    /// Frames a serde value for `topic`, written straight from the type.
    pub async fn serialize<T: Serialize>(&self, topic: &str, value: &T) -> Result<Vec<u8>> {
        self.serialize_with_headers(topic, value)
            .await?
            .payload_only()
    }

    /// [`AvroSerializer::serialize`], with the header that names the schema when the config's
    /// `id_format` puts it there.
    pub async fn serialize_with_headers<T: Serialize>(
        &self,
        topic: &str,
        value: &T,
    ) -> Result<Framed> {
        let load = || self.load_writer(topic);
        self.writers
            .read(topic, load, |writer| writer.frame_serde(value))
            .await
    }
}

/// Reads Avro in Confluent's wire format.
///
/// The writer's schema comes from the registry by the record's id or GUID (in the record's
/// header or before the payload, as Confluent 8.x's deserializers find it), once per id. Serde
/// types are
/// read with apache-avro's mapping (records to structs by field name, the struct named as the
/// record; Avro enums and unions to Rust enums; `[null, T]` to `Option<T>`); records and enums
/// can also be read into `serde_json::Value` or `HashMap<String, _>`. Data nested deeper than
/// 200 records, arrays or maps, and messages that would expand past apache-avro's allocation
/// limit, are errors.
pub struct AvroDeserializer {
    client: Client,
    reader: Option<Arc<Parsed>>,
    /// Reads record keys: their id header is `__key_schema_id`.
    is_key: bool,
    /// By writer schema id.
    readers: Memo<SchemaId, Reader>,
}

impl AvroDeserializer {
    /// A deserializer; with `reader`, values are resolved into that schema.
    pub fn new(client: Client, reader: Option<&str>) -> Result<Self> {
        let reader = reader
            .map(|text| Parsed::parse(text, &[]).map(Arc::new))
            .transpose()?;
        Ok(AvroDeserializer {
            client,
            reader,
            is_key: false,
            readers: Memo::new(None),
        })
    }

    /// A deserializer of record keys: the id header it reads is `__key_schema_id`, not
    /// `__value_schema_id`.
    pub fn for_keys(self) -> Self {
        AvroDeserializer {
            is_key: true,
            ..self
        }
    }

    /// The reader for messages written with schema `id`, from the registry: what a miss loads.
    async fn load_reader(&self, id: SchemaId) -> Result<Reader> {
        let schema = self.client.schema_by(id).await?;
        let schemas = Schemas {
            writer: parse_registered(&self.client, &schema).await?,
            reader: self.reader.clone(),
        };
        Reader::build_for(DomainRules::new(&schema, Direction::Read), schemas)
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
        let load = || self.load_reader(id);
        self.readers
            .read(&id, load, |reader| {
                reader.read_value(payload, headers.failed_rule)
            })
            .await
    }

    /// The framed message as a serde type: read straight from the bytes, or, with a reader
    /// schema, through the value resolved into it.
    pub async fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        self.read_serde(RecordHeaders::default(), bytes).await
    }

    /// [`AvroDeserializer::deserialize`] for a record's key or value, named by the record's id
    /// header when it has one, as [`AvroDeserializer::deserialize_value_with_headers`].
    pub async fn deserialize_with_headers<'h, T: DeserializeOwned>(
        &self,
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
        bytes: &[u8],
    ) -> Result<T> {
        self.read_serde(RecordHeaders::read(headers, self.is_key), bytes)
            .await
    }

    async fn read_serde<T: DeserializeOwned>(
        &self,
        headers: RecordHeaders<'_>,
        bytes: &[u8],
    ) -> Result<T> {
        let (id, payload) = locate(headers.id, bytes)?;
        let load = || self.load_reader(id);
        self.readers
            .read(&id, load, |reader| {
                reader.read_serde(payload, headers.failed_rule)
            })
            .await
    }
}
