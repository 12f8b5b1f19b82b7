//! Interoperability with Confluent's serializers, by hand or from a test.
//!
//! ```text
//! cargo run -p schemata-client --example interop -- --url http://localhost:8081 --format avro
//! cargo run -p schemata-client --example interop -- --url http://localhost:8081 --decode 00000000010a...
//! ```
//!
//! The first form serializes the example record `{"id": 42, "name": "schemata"}` for topic
//! `interop` (subject `interop-value`) in the given format and prints the framed bytes in hex.
//! The second decodes framed bytes (any format: the registry says which) and prints the value
//! as JSON. One subject holds one schema type: use a registry (or `PUT /config/interop-value`
//! with `NONE`) per format.

use schemata_client::prost_reflect::{DynamicMessage, Value as ProtoValue};
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, JsonDeserializer, JsonSerializer,
    ProtobufDeserializer, ProtobufSerializer, Schema, SchemaType, SerializerConfig,
};

const AVRO: &str = r#"{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#;
const JSON: &str = r#"{"type":"object","title":"Interop","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id","name"]}"#;
const PROTO: &str = "syntax = \"proto3\";\npackage schemata;\n\nmessage Interop {\n  int64 id = 1;\n  string name = 2;\n}\n";
const TOPIC: &str = "interop";

/// The example record.
#[derive(serde::Serialize)]
struct Interop {
    id: i64,
    name: String,
}

fn example() -> Interop {
    Interop {
        id: 42,
        name: "schemata".into(),
    }
}

fn usage() -> ! {
    eprintln!("usage: interop --url URL (--format avro|json|protobuf | --decode HEX)");
    std::process::exit(2);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(url) = value_of("--url") else {
        usage()
    };
    let client = Client::from_url(url).unwrap_or_else(|e| fail(e));
    let result = match (value_of("--format"), value_of("--decode")) {
        (Some(format), None) => encode(&client, &format).await.map(|b| hex(&b)),
        (None, Some(hex)) => decode(&client, &unhex(&hex)).await.map(|v| v.to_string()),
        _ => usage(),
    };
    match result {
        Ok(out) => println!("{out}"),
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1);
}

async fn encode(client: &Client, format: &str) -> schemata_client::Result<Vec<u8>> {
    let config = SerializerConfig::default();
    match format {
        "avro" => {
            let s = AvroSerializer::new(
                client.clone(),
                Some(Schema::new(SchemaType::Avro, AVRO)),
                config,
            )?;
            s.serialize(TOPIC, &example()).await
        }
        "json" => {
            let s = JsonSerializer::new(
                client.clone(),
                Some(Schema::new(SchemaType::Json, JSON)),
                config,
            );
            s.serialize(TOPIC, &example()).await
        }
        "protobuf" => {
            let parsed = compat_proto(PROTO);
            let mut message = DynamicMessage::new(
                parsed
                    .get_message_by_name("schemata.Interop")
                    .expect("declared"),
            );
            message.set_field_by_name("id", ProtoValue::I64(42));
            message.set_field_by_name("name", ProtoValue::String("schemata".into()));
            ProtobufSerializer::new(client.clone(), config)
                .serialize(TOPIC, &message)
                .await
        }
        _ => usage(),
    }
}

/// The example's descriptors, compiled from its `.proto` text.
fn compat_proto(text: &str) -> schemata_client::prost_reflect::DescriptorPool {
    let schema =
        compat::protobuf::ProtobufSchema::parse(text, &[], compat::ParseOptions::default())
            .expect("the example compiles");
    schema.file().parent_pool().clone()
}

async fn decode(client: &Client, bytes: &[u8]) -> schemata_client::Result<serde_json::Value> {
    let (id, _) = schemata_client::wire::read_header(bytes)?;
    match client.schema_by(id).await?.schema_type {
        SchemaType::Avro => {
            let value = AvroDeserializer::new(client.clone(), None)?
                .deserialize_value(bytes)
                .await?;
            serde_json::Value::try_from(value)
                .map_err(|e| schemata_client::Error::Serialization(e.to_string()))
        }
        SchemaType::Json => {
            JsonDeserializer::new(client.clone(), true)
                .deserialize_value(bytes)
                .await
        }
        SchemaType::Protobuf => {
            let message = ProtobufDeserializer::new(client.clone())
                .deserialize(bytes)
                .await?;
            serde_json::to_value(&message)
                .map_err(|e| schemata_client::Error::Serialization(e.to_string()))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        fail("--decode takes an even number of hex digits");
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digits"))
        .collect()
}
