//! Confluent 8.x's schema GUIDs: a serializer writes the GUID in the record's id header or before
//! the payload, and a deserializer finds it in either (and the id before the payload), fetching
//! the schema by GUID once.

use std::sync::atomic::Ordering;

use prost::Message;
use std::time::Duration;

use schemata_client::apache_avro::types::Value as AvroValue;
use schemata_client::prost_reflect::{DynamicMessage, Value as ProtoValue};
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, Guid, JsonDeserializer, JsonSerializer,
    ProtobufDeserializer, ProtobufSerializer, Schema, SchemaIdFormat, SchemaType, SerializerConfig,
};
use serde_json::json;

use crate::common::{fake, registry, registry_v8};

const AVRO: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"}]}"#;
const JSON: &str = r#"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#;
const PROTO: &str = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  int64 id = 1;\n}\n";

fn config(id_format: SchemaIdFormat) -> SerializerConfig {
    SerializerConfig {
        id_format,
        ..SerializerConfig::default()
    }
}

fn order() -> AvroValue {
    AvroValue::Record(vec![
        ("id".into(), AvroValue::Long(42)),
        ("item".into(), AvroValue::String("tea".into())),
    ])
}

/// The GUID the registry gives `subject`'s first version, and its bytes after magic byte 1.
async fn guid_of(client: &Client, subject: &str) -> (Guid, Vec<u8>) {
    let guid = client.version(subject, 1).await.unwrap().guid.unwrap();
    (guid, [&[1u8][..], &guid.0].concat())
}

#[tokio::test]
async fn avro_names_its_schema_by_guid_in_a_header_or_before_the_payload() {
    let r = registry_v8().await;
    let client = Client::from_url(&r.url).unwrap();
    let schema = Schema::new(SchemaType::Avro, AVRO);
    let headed = AvroSerializer::new(
        client.clone(),
        Some(schema.clone()),
        config(SchemaIdFormat::GuidHeader),
    )
    .unwrap();
    let framed = headed
        .serialize_value_with_headers("orders", order())
        .await
        .unwrap();
    let (guid, guid_bytes) = guid_of(&client, "orders-value").await;
    assert_eq!(
        client.schema_by_guid(guid).await.unwrap().schema,
        client.version("orders-value", 1).await.unwrap().schema
    );
    let header = framed.header.clone().unwrap();
    assert_eq!(header.name, "__value_schema_id");
    assert_eq!(*header.value, guid_bytes[..]);
    // The bare Avro: 42 as a zig-zag varint, then "tea" with its length.
    assert_eq!(framed.payload, [84, 6, b't', b'e', b'a']);
    // The header would be lost by a method that returns only bytes.
    assert_eq!(
        headed
            .serialize_value("orders", order())
            .await
            .unwrap_err()
            .to_string(),
        "configuration: the schema id goes in the __value_schema_id header: serialize with \
         serialize_with_headers"
    );

    let reader = AvroDeserializer::new(client.clone(), None).unwrap();
    let headers = [
        ("other", Some(&b"x"[..])),
        (header.name, Some(&*header.value)),
    ];
    assert_eq!(
        reader
            .deserialize_value_with_headers(headers, &framed.payload)
            .await
            .unwrap(),
        order()
    );
    // A key deserializer reads `__key_schema_id` only: without it, the payload must name the
    // schema, and a bare payload does not.
    let keys = AvroDeserializer::new(client.clone(), None)
        .unwrap()
        .for_keys();
    assert_eq!(
        keys.deserialize_value_with_headers(headers, &framed.payload)
            .await
            .unwrap_err()
            .to_string(),
        "invalid frame: unknown magic byte 84, expected 0 or 1"
    );
    let key_headers = [("__key_schema_id", Some(&*header.value))];
    assert_eq!(
        keys.deserialize_value_with_headers(key_headers, &framed.payload)
            .await
            .unwrap(),
        order()
    );

    let prefixed = AvroSerializer::new(
        client.clone(),
        Some(schema.clone()),
        config(SchemaIdFormat::GuidPrefix),
    )
    .unwrap()
    .serialize_value("orders", order())
    .await
    .unwrap();
    assert_eq!(prefixed, [&guid_bytes[..], &framed.payload].concat());
    assert_eq!(reader.deserialize_value(&prefixed).await.unwrap(), order());
    // The id before the payload, as before, with or without (other) headers.
    let plain = AvroSerializer::new(
        client.clone(),
        Some(schema),
        config(SchemaIdFormat::IdPrefix),
    )
    .unwrap()
    .serialize_value_with_headers("orders", order())
    .await
    .unwrap();
    assert_eq!(plain.header, None);
    assert_eq!(
        plain.payload,
        [&[0, 0, 0, 0, 1][..], &framed.payload].concat()
    );
    assert_eq!(
        reader
            .deserialize_value_with_headers([("other", None)], &plain.payload)
            .await
            .unwrap(),
        order()
    );
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Order {
        id: i64,
        item: String,
    }
    let typed: Order = reader
        .deserialize_with_headers(headers, &framed.payload)
        .await
        .unwrap();
    assert_eq!(
        typed,
        Order {
            id: 42,
            item: "tea".into()
        }
    );
}

#[tokio::test]
async fn protobuf_and_json_carry_their_guid_in_the_header() {
    let r = registry_v8().await;
    let client = Client::from_url(&r.url).unwrap();
    let pool = compat::protobuf::ProtobufSchema::parse(PROTO, &[], compat::ParseOptions::default())
        .unwrap()
        .file()
        .parent_pool()
        .clone();
    let mut message = DynamicMessage::new(pool.get_message_by_name("acme.Order").unwrap());
    message.set_field_by_name("id", ProtoValue::I64(7));
    let framed = ProtobufSerializer::new(client.clone(), config(SchemaIdFormat::GuidHeader))
        .serialize_with_headers("orders", &message)
        .await
        .unwrap();
    let (_, guid_bytes) = guid_of(&client, "orders-value").await;
    let header = framed.header.unwrap();
    // The message indexes follow the GUID in the header; the payload is the message alone.
    assert_eq!(*header.value, [&guid_bytes[..], &[0]].concat());
    assert_eq!(framed.payload, [8, 7]);
    let headers = [(header.name, Some(&*header.value))];
    let reader = ProtobufDeserializer::new(client.clone());
    let back = reader
        .deserialize_with_headers(headers, &framed.payload)
        .await
        .unwrap();
    // Read with the registry's schema: the same message, by its encoding.
    assert_eq!(back.encode_to_vec(), message.encode_to_vec());
    let typed: prost_types_order::Order = reader
        .deserialize_as_with_headers(headers, &framed.payload)
        .unwrap();
    assert_eq!(typed.id, 7);
    let prefixed = ProtobufSerializer::new(client.clone(), config(SchemaIdFormat::GuidPrefix))
        .serialize("orders", &message)
        .await
        .unwrap();
    assert_eq!(prefixed, [&guid_bytes[..], &[0, 8, 7]].concat());
    let back = reader.deserialize(&prefixed).await.unwrap();
    assert_eq!(back.encode_to_vec(), message.encode_to_vec());

    let json_schema = Schema::new(SchemaType::Json, JSON);
    let framed = JsonSerializer::new(
        client.clone(),
        Some(json_schema),
        config(SchemaIdFormat::GuidHeader),
    )
    .serialize_with_headers("events", &json!({"id": 1}))
    .await
    .unwrap();
    let (_, guid_bytes) = guid_of(&client, "events-value").await;
    let header = framed.header.unwrap();
    assert_eq!(*header.value, guid_bytes[..]);
    assert_eq!(framed.payload, br#"{"id":1}"#);
    let headers = [(header.name, Some(&*header.value))];
    let value = JsonDeserializer::new(client, true)
        .deserialize_value_with_headers(headers, &framed.payload)
        .await
        .unwrap();
    assert_eq!(value, json!({"id": 1}));
}

/// A prost type for `acme.Order`, to read with `deserialize_as`.
mod prost_types_order {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Order {
        #[prost(int64, tag = "1")]
        pub id: i64,
    }
}

#[tokio::test]
async fn bad_id_headers_and_unknown_guids_are_errors() {
    let r = registry_v8().await;
    let client = Client::from_url(&r.url).unwrap();
    let avro = AvroDeserializer::new(client.clone(), None).unwrap();
    let proto = ProtobufDeserializer::new(client.clone());
    let unknown = [&[1u8][..], &[0xab; 16]].concat();
    fn header(value: &[u8]) -> [(&str, Option<&[u8]>); 1] {
        [("__value_schema_id", Some(value))]
    }
    let err = avro
        .deserialize_value_with_headers(header(&unknown), &[2])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(40403));
    let cases: [(&[u8], &str); 4] = [
        (&[], "invalid frame: empty message"),
        (
            &unknown[..9],
            "invalid frame: 9 bytes, shorter than the 17-byte GUID header",
        ),
        (
            &[0, 0, 0, 0, 1, 0],
            "invalid frame: 1 bytes after the schema id in its header",
        ),
        (&[3], "invalid frame: unknown magic byte 3, expected 0 or 1"),
    ];
    for (value, message) in cases {
        let e = avro
            .deserialize_value_with_headers(header(value), &[2])
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), message, "{value:?}");
    }
    // Protobuf's header holds the message indexes too.
    for (value, message) in [
        (
            &[0u8, 0, 0, 0, 1][..],
            "invalid frame: truncated or overlong varint",
        ),
        (
            &[0, 0, 0, 0, 1, 0, 0],
            "invalid frame: 1 bytes after the message indexes in the schema id header",
        ),
    ] {
        let e = proto
            .deserialize_with_headers(header(value), &[8, 7])
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), message, "{value:?}");
    }
}

#[tokio::test]
async fn a_registry_without_guids_cannot_serve_guid_framing() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let schema = Schema::new(SchemaType::Avro, AVRO);
    let e = AvroSerializer::new(client, Some(schema), config(SchemaIdFormat::GuidPrefix))
        .unwrap()
        .serialize_value("orders", order())
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration: the registry gave no GUID for schema 1: GUID framing needs a registry \
         that answers in Confluent 8.x's format (Schemata: --api-format v8)"
    );
}

#[tokio::test]
async fn a_guid_is_fetched_once() {
    let (url, count) = fake(vec![(200, r#"{"schema":"\"string\""}"#)], Duration::ZERO).await;
    let client = Client::from_url(&url).unwrap();
    let reader = AvroDeserializer::new(client, None).unwrap();
    let framed = [&[1u8][..], &[0x42; 16], &[6, b'a', b'b', b'c']].concat();
    for _ in 0..3 {
        let value = reader.deserialize_value(&framed).await.unwrap();
        assert_eq!(value, AvroValue::String("abc".into()));
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
