//! Confluent's wire format. A record names its writer's schema in one of two places:
//! - before the payload: magic byte 0 and the schema id as 4 big-endian bytes, or (Confluent
//!   8.x) magic byte 1 and the schema's 16-byte GUID;
//! - (8.x) in the record header `__key_schema_id` or `__value_schema_id`, holding the same
//!   bytes; the payload is then the bare encoding.
//!
//! For Protobuf the message indexes (a zig-zag varint count, then each index; `[0]` is the single
//! byte 0) follow the id, wherever it is.

use std::fmt;
use std::sync::Arc;

use crate::guid::Guid;
use crate::types::SchemaIds;
use crate::varint;
use crate::{Error, Result};

/// The header naming a record key's schema (Confluent 8.x).
pub const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";
/// The header naming a record value's schema (Confluent 8.x).
pub const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";

const MAGIC_ID: u8 = 0;
const MAGIC_GUID: u8 = 1;

/// How a record names its writer's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaId {
    /// The registry's id (magic byte 0).
    Id(u32),
    /// The schema's GUID (magic byte 1), the same in every context of the registry.
    Guid(Guid),
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaId::Id(id) => write!(f, "{id}"),
            SchemaId::Guid(guid) => write!(f, "{guid}"),
        }
    }
}

/// Where a serializer writes the schema's id, as Confluent's serializers' `SchemaIdSerializer`s
/// do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SchemaIdFormat {
    /// Magic byte 0 and the 4-byte id before the payload: what every Confluent client reads,
    /// and what they write by default.
    #[default]
    IdPrefix,
    /// Magic byte 1 and the GUID (then Protobuf's message indexes) in the record's
    /// `__key_schema_id` or `__value_schema_id` header, the payload bare: Confluent 8.x's
    /// `HeaderSchemaIdSerializer`. Serialize with the `serialize_with_headers` methods.
    GuidHeader,
    /// Magic byte 1 and the 16-byte GUID before the payload: read by Confluent's 8.x
    /// deserializers, though none of their serializers writes it.
    GuidPrefix,
}

/// The record header that names a serialized key's or value's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdHeader {
    /// [`KEY_SCHEMA_ID_HEADER`] or [`VALUE_SCHEMA_ID_HEADER`].
    pub name: &'static str,
    /// Shared by every record of the schema: sending it costs no copy.
    pub value: Arc<[u8]>,
}

/// A serialized key or value: the payload and, when the serializer puts the schema id there
/// ([`SchemaIdFormat::GuidHeader`]), the header to send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    pub payload: Vec<u8>,
    pub header: Option<IdHeader>,
}

impl Framed {
    /// The payload, for the methods that return only bytes: a header to send would be lost.
    pub(crate) fn payload_only(self) -> Result<Vec<u8>> {
        match self.header {
            None => Ok(self.payload),
            Some(header) => Err(Error::Config(format!(
                "the schema id goes in the {} header: serialize with serialize_with_headers",
                header.name
            ))),
        }
    }
}

/// The 5-byte header before the payload: magic byte 0 and the id.
pub fn write_header(id: u32, out: &mut Vec<u8>) {
    out.push(MAGIC_ID);
    out.extend_from_slice(&id.to_be_bytes());
}

/// The 17-byte header: magic byte 1 and the GUID.
pub fn write_guid_header(guid: &Guid, out: &mut Vec<u8>) {
    out.push(MAGIC_GUID);
    out.extend_from_slice(&guid.0);
}

/// The schema id at the start of `bytes` (an id or a GUID, by the magic byte), and what
/// follows it.
pub fn read_header(bytes: &[u8]) -> Result<(SchemaId, &[u8])> {
    match bytes {
        [MAGIC_ID, a, b, c, d, rest @ ..] => {
            Ok((SchemaId::Id(u32::from_be_bytes([*a, *b, *c, *d])), rest))
        }
        [MAGIC_GUID, rest @ ..] if rest.len() >= 16 => {
            let (guid, rest) = rest.split_at(16);
            let guid = Guid(guid.try_into().expect("16 bytes"));
            Ok((SchemaId::Guid(guid), rest))
        }
        [] => Err(Error::InvalidFrame("empty message".into())),
        [MAGIC_ID, ..] => Err(Error::InvalidFrame(format!(
            "{} bytes, shorter than the 5-byte header",
            bytes.len()
        ))),
        [MAGIC_GUID, ..] => Err(Error::InvalidFrame(format!(
            "{} bytes, shorter than the 17-byte GUID header",
            bytes.len()
        ))),
        [magic, ..] => Err(Error::InvalidFrame(format!(
            "unknown magic byte {magic}, expected 0 or 1"
        ))),
    }
}

/// The value of the header naming the schema of a record's key (`is_key`) or value: the last
/// one of that name with a value, as Confluent's deserializers take it. Kafka clients hand
/// headers over as (name, value), a value `None` when the header is null.
pub fn id_header<'h>(
    headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
    is_key: bool,
) -> Option<&'h [u8]> {
    RecordHeaders::read(headers, is_key).id
}

/// The header in which Confluent's `DLQ` action names the rule a record failed before it wrote
/// the record to a dead-letter topic.
const FAILED_RULE_HEADER: &str = "__rule.name";

/// What deserializers take from a record's headers, in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RecordHeaders<'h> {
    /// The id header's value: see [`id_header`].
    pub(crate) id: Option<&'h [u8]>,
    /// The rule a record from a dead-letter topic failed: not run on it again, as Confluent's
    /// deserializers skip it (the last `__rule.name` header, when it is UTF-8).
    pub(crate) failed_rule: Option<&'h str>,
}

impl<'h> RecordHeaders<'h> {
    pub(crate) fn read(
        headers: impl IntoIterator<Item = (&'h str, Option<&'h [u8]>)>,
        is_key: bool,
    ) -> RecordHeaders<'h> {
        let id_name = if is_key {
            KEY_SCHEMA_ID_HEADER
        } else {
            VALUE_SCHEMA_ID_HEADER
        };
        let mut read = RecordHeaders::default();
        for (name, value) in headers {
            match (name, value) {
                (_, None) => {}
                (name, Some(value)) if name == id_name => read.id = Some(value),
                (FAILED_RULE_HEADER, Some(value)) => {
                    read.failed_rule = std::str::from_utf8(value).ok();
                }
                _ => {}
            }
        }
        read
    }
}

/// The schema a record names and its encoded value: from the id header when the record has one
/// (then the payload is all value), else from the payload's prefix.
pub(crate) fn locate<'a>(header: Option<&[u8]>, bytes: &'a [u8]) -> Result<(SchemaId, &'a [u8])> {
    let Some(header) = header else {
        return read_header(bytes);
    };
    match read_header(header)? {
        (id, []) => Ok((id, bytes)),
        (_, rest) => Err(Error::InvalidFrame(format!(
            "{} bytes after the schema id in its header",
            rest.len()
        ))),
    }
}

/// [`locate`] for Protobuf: the schema, the message indexes (after the id, in the header or the
/// payload) and the encoded message.
pub(crate) fn locate_protobuf<'a>(
    header: Option<&[u8]>,
    bytes: &'a [u8],
) -> Result<(SchemaId, Vec<i32>, &'a [u8])> {
    let Some(header) = header else {
        let (id, rest) = read_header(bytes)?;
        let (indexes, payload) = read_message_indexes(rest)?;
        return Ok((id, indexes, payload));
    };
    let (id, rest) = read_header(header)?;
    match read_message_indexes(rest)? {
        (indexes, []) => Ok((id, indexes, bytes)),
        (_, rest) => Err(Error::InvalidFrame(format!(
            "{} bytes after the message indexes in the schema id header",
            rest.len()
        ))),
    }
}

/// How a serializer names its schema in each record, worked out once per schema: the bytes
/// before every payload, or the header sent with it.
pub(crate) struct Naming {
    prefix: Vec<u8>,
    header: Option<IdHeader>,
}

impl Naming {
    /// The naming of schema `ids` in `format`, for keys or values; `indexes` are Protobuf's
    /// message indexes. A GUID format needs the registry to have given the schema's GUID.
    pub(crate) fn new(
        format: SchemaIdFormat,
        is_key: bool,
        ids: &SchemaIds,
        indexes: Option<&[i32]>,
    ) -> Result<Naming> {
        let mut named = Vec::with_capacity(24);
        match (format, ids.guid) {
            (SchemaIdFormat::IdPrefix, _) => write_header(ids.id, &mut named),
            (_, Some(guid)) => write_guid_header(&guid, &mut named),
            (_, None) => {
                return Err(Error::Config(format!(
                    "the registry gave no GUID for schema {}: GUID framing needs a registry that \
                     answers in Confluent 8.x's format (Schemata: --api-format v8)",
                    ids.id
                )))
            }
        }
        if let Some(indexes) = indexes {
            write_message_indexes(indexes, &mut named);
        }
        if format != SchemaIdFormat::GuidHeader {
            return Ok(Naming {
                prefix: named,
                header: None,
            });
        }
        let name = if is_key {
            KEY_SCHEMA_ID_HEADER
        } else {
            VALUE_SCHEMA_ID_HEADER
        };
        Ok(Naming {
            prefix: Vec::new(),
            header: Some(IdHeader {
                name,
                value: named.into(),
            }),
        })
    }

    /// A buffer of `capacity` bytes holding what goes before the payload.
    pub(crate) fn start(&self, capacity: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(capacity.max(self.prefix.len()));
        out.extend_from_slice(&self.prefix);
        out
    }

    /// The record, once `out` (begun by [`Naming::start`]) holds the payload.
    pub(crate) fn finish(&self, out: Vec<u8>) -> Framed {
        Framed {
            payload: out,
            header: self.header.clone(),
        }
    }
}

/// Protobuf message indexes, as Confluent writes them.
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    varint::write_i64(out, indexes.len() as i64);
    for i in indexes {
        varint::write_i64(out, i64::from(*i));
    }
}

/// The message indexes at the start of `bytes`, and what follows them.
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8])> {
    let (count, mut rest) = read_zigzag(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if count < 0 || count as usize > rest.len() {
        return Err(Error::InvalidFrame(format!(
            "{count} message indexes announced, {} bytes follow",
            rest.len()
        )));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (value, after) = read_zigzag(rest)?;
        let index = i32::try_from(value)
            .ok()
            .filter(|i| *i >= 0)
            .ok_or_else(|| Error::InvalidFrame("message index out of range".into()))?;
        indexes.push(index);
        rest = after;
    }
    Ok((indexes, rest))
}

/// The zig-zag varint at the start of `bytes`: a frame's error when there is none.
fn read_zigzag(bytes: &[u8]) -> Result<(i64, &[u8])> {
    varint::read_i64(bytes).map_err(|_| Error::InvalidFrame("truncated or overlong varint".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: Guid = Guid([
        0x89, 0xb4, 0xff, 0xc4, 0xab, 0x9f, 0x4d, 0x21, 0x8c, 0x6f, 0x1a, 0x1c, 0x1a, 0x2b, 0x3c,
        0x4d,
    ]);

    fn err<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn headers_round_trip_and_bad_frames_are_errors() {
        let mut out = Vec::new();
        write_header(0x0102_0304, &mut out);
        out.push(42);
        assert_eq!(out, [0, 1, 2, 3, 4, 42]);
        assert_eq!(
            read_header(&out).unwrap(),
            (SchemaId::Id(0x0102_0304), &[42u8][..])
        );
        out.clear();
        write_guid_header(&GUID, &mut out);
        out.push(42);
        assert_eq!(out, [&[1][..], &GUID.0, &[42]].concat());
        assert_eq!(
            read_header(&out).unwrap(),
            (SchemaId::Guid(GUID), &[42u8][..])
        );
        assert_eq!(err(read_header(&[])), "invalid frame: empty message");
        assert_eq!(
            err(read_header(&[2, 0, 0, 0, 1])),
            "invalid frame: unknown magic byte 2, expected 0 or 1"
        );
        assert_eq!(
            err(read_header(&[0, 0, 1])),
            "invalid frame: 3 bytes, shorter than the 5-byte header"
        );
        assert_eq!(
            err(read_header(&out[..16])),
            "invalid frame: 16 bytes, shorter than the 17-byte GUID header"
        );
    }

    #[test]
    fn the_last_id_header_with_a_value_names_the_schema() {
        let headers = [
            ("__value_schema_id", Some(&b"first"[..])),
            ("__key_schema_id", Some(&b"key"[..])),
            ("__value_schema_id", Some(&b"last"[..])),
            ("__value_schema_id", None),
            ("other", Some(&b"x"[..])),
        ];
        assert_eq!(id_header(headers, false), Some(&b"last"[..]));
        assert_eq!(id_header(headers, true), Some(&b"key"[..]));
        assert_eq!(id_header(headers[3..].iter().copied(), false), None);
        let dlq = [
            ("__rule.name", Some(&b"idPositive"[..])),
            ("__value_schema_id", Some(&b"id"[..])),
        ];
        assert_eq!(
            RecordHeaders::read(dlq, false),
            RecordHeaders {
                id: Some(&b"id"[..]),
                failed_rule: Some("idPositive"),
            }
        );
    }

    #[test]
    fn a_header_names_the_schema_and_leaves_the_payload_whole() {
        let header = [&[1][..], &GUID.0].concat();
        let payload = [0u8, 0, 0, 0, 7, 2];
        // The payload is not read for an id when a header names the schema.
        assert_eq!(
            locate(Some(&header), &payload).unwrap(),
            (SchemaId::Guid(GUID), &payload[..])
        );
        assert_eq!(
            locate(None, &payload).unwrap(),
            (SchemaId::Id(7), &[2u8][..])
        );
        assert_eq!(
            locate(Some(&[0, 0, 0, 0, 9]), &payload).unwrap(),
            (SchemaId::Id(9), &payload[..])
        );
        let with_indexes = [&header[..], &[4, 2, 0]].concat();
        assert_eq!(
            locate_protobuf(Some(&with_indexes), &payload).unwrap(),
            (SchemaId::Guid(GUID), vec![1, 0], &payload[..])
        );
        assert_eq!(
            locate_protobuf(None, &[0, 0, 0, 0, 7, 0, 8, 1]).unwrap(),
            (SchemaId::Id(7), vec![0], &[8u8, 1][..])
        );
        assert_eq!(
            err(locate(Some(&with_indexes), &payload)),
            "invalid frame: 3 bytes after the schema id in its header"
        );
        assert_eq!(
            err(locate_protobuf(
                Some(&[&with_indexes[..], &[9]].concat()),
                &payload
            )),
            "invalid frame: 1 bytes after the message indexes in the schema id header"
        );
        assert_eq!(
            err(locate_protobuf(Some(&header), &payload)),
            "invalid frame: truncated or overlong varint"
        );
        assert_eq!(
            err(locate(Some(&[]), &payload)),
            "invalid frame: empty message"
        );
    }

    #[test]
    fn namings_write_the_id_or_the_guid_where_the_format_says() {
        let ids = SchemaIds {
            id: 7,
            guid: Some(GUID),
        };
        let framed = |format, is_key, indexes: Option<&[i32]>| {
            let naming = Naming::new(format, is_key, &ids, indexes).unwrap();
            let mut out = naming.start(0);
            out.push(42);
            naming.finish(out)
        };
        let guid_bytes = [&[1][..], &GUID.0].concat();
        let plain = framed(SchemaIdFormat::IdPrefix, false, None);
        assert_eq!(plain.payload, [0, 0, 0, 0, 7, 42]);
        assert_eq!(plain.header, None);
        let prefixed = framed(SchemaIdFormat::GuidPrefix, false, Some(&[1]));
        assert_eq!(prefixed.payload, [&guid_bytes[..], &[2, 2, 42]].concat());
        assert_eq!(prefixed.header, None);
        for (is_key, name) in [(false, "__value_schema_id"), (true, "__key_schema_id")] {
            let headed = framed(SchemaIdFormat::GuidHeader, is_key, Some(&[0]));
            assert_eq!(headed.payload, [42]);
            let header = headed.header.clone().unwrap();
            assert_eq!(header.name, name);
            assert_eq!(*header.value, [&guid_bytes[..], &[0]].concat());
            assert_eq!(
                err(headed.payload_only()),
                format!(
                    "configuration: the schema id goes in the {name} header: serialize with \
                     serialize_with_headers"
                )
            );
        }
        let no_guid = SchemaIds { id: 7, guid: None };
        for format in [SchemaIdFormat::GuidHeader, SchemaIdFormat::GuidPrefix] {
            assert_eq!(
                err(Naming::new(format, false, &no_guid, None).map(|_| ())),
                "configuration: the registry gave no GUID for schema 7: GUID framing needs a \
                 registry that answers in Confluent 8.x's format (Schemata: --api-format v8)"
            );
        }
    }

    #[test]
    fn message_indexes_use_zigzag_varints_and_one_zero_byte_for_the_first_message() {
        let mut out = Vec::new();
        write_message_indexes(&[0], &mut out);
        assert_eq!(out, [0]);
        out.clear();
        write_message_indexes(&[1], &mut out);
        assert_eq!(out, [2, 2]);
        out.clear();
        write_message_indexes(&[2, 70], &mut out);
        assert_eq!(out, [4, 4, 140, 1]);
        out.push(9);
        assert_eq!(
            read_message_indexes(&out).unwrap(),
            (vec![2, 70], &[9u8][..])
        );
        assert_eq!(
            read_message_indexes(&[0, 9]).unwrap(),
            (vec![0], &[9u8][..])
        );
        for bad in [&[][..], &[0x80][..], &[4, 2][..], &[2, 0xff][..], &[1][..]] {
            assert!(read_message_indexes(bad).is_err(), "{bad:?}");
        }
    }
}
