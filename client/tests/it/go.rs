//! Byte-for-byte interop with Confluent's Go serializers (confluent-kafka-go's schemaregistry
//! packages, from the Go module proxy; the program is tests/go/main.go). For Avro, JSON Schema
//! and Protobuf, with and without metadata (two versions that differ only in their metadata,
//! both sides pinned to the first with `use.latest.with.metadata`), the same record framed by
//! both sides is the same bytes (for Protobuf, once Go's fields are put in field-number order:
//! see `canonical`), and each side decodes the other's. Skipped with one line when
//! Go is missing, unless SCHEMATA_REQUIRE_GO is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost::Message;
use schemata_client::apache_avro::types::Value as AvroValue;
use schemata_client::prost_reflect::{DynamicMessage, MessageDescriptor, Value as ProtoValue};
use schemata_client::{
    AvroSerializer, Client, Framed, JsonSerializer, ProtobufSerializer, Schema, SchemaIdFormat,
    SchemaSelection, SchemaType, SerializerConfig,
};
use serde_json::{json, Map, Value};
use tokio::process::Command;

use crate::common::{registry, registry_v8};
use crate::interop::{decode, decode_with_headers, hex, stdout_of, unhex};

const PROGRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/go");
const AVRO: &str = r#"{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#;
const JSON: &str = r#"{"type":"object","title":"Interop","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id","name"]}"#;
const PROTO: &str = "syntax = \"proto3\";\npackage schemata;\n\nmessage Interop {\n  int64 id = 1;\n  string name = 2;\n}\n";
const CASES: [&str; 6] = [
    "avro",
    "avro-meta",
    "json",
    "json-meta",
    "protobuf",
    "protobuf-meta",
];

/// Builds the Go program into `dir`; `None` (after one line) when Go is missing.
async fn build(dir: &Path) -> Option<PathBuf> {
    let go = Command::new("go").arg("version").output().await;
    if !go.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("SCHEMATA_REQUIRE_GO").is_none(),
            "Go is required for the Go client's interop test"
        );
        eprintln!("skipped: go not found (Confluent's Go client interop)");
        return None;
    }
    let binary = dir.join("gointerop");
    let out = Command::new("go")
        .current_dir(PROGRAM)
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(binary)
}

async fn run(binary: &Path, args: &[String]) -> Map<String, Value> {
    serde_json::from_slice(&stdout_of(Command::new(binary).args(args)).await).unwrap()
}

/// What the Rust client selects for a case: its own schema, registered (or found) for the
/// plain ones; the version with `major=1` for the `-meta` ones.
fn config(case: &str) -> SerializerConfig {
    let selection = if case.ends_with("-meta") {
        SchemaSelection::LatestWithMetadata(BTreeMap::from([("major".into(), "1".into())]))
    } else {
        SchemaSelection::AutoRegister
    };
    SerializerConfig {
        selection,
        ..SerializerConfig::default()
    }
}

fn interop_descriptor() -> MessageDescriptor {
    let parsed =
        compat::protobuf::ProtobufSchema::parse(PROTO, &[], compat::ParseOptions::default())
            .unwrap();
    parsed
        .file()
        .parent_pool()
        .get_message_by_name("schemata.Interop")
        .unwrap()
}

/// Go's serializer marshals a dynamic message's fields in map order (protobuf-go's
/// `AnyFieldOrder`), so the same message can be written `1,2` or `2,1`; both are valid
/// Protobuf. For the Protobuf cases this keeps the frame header (magic byte, id, message
/// indexes) as written and rewrites the payload in field-number order, as ours writes it.
fn canonical(case: &str, framed: &[u8]) -> Vec<u8> {
    if !case.starts_with("protobuf") {
        return framed.to_vec();
    }
    // Magic byte, 4-byte id, and the message indexes `[0]` written as the single byte 0.
    assert_eq!(framed[5], 0, "{case}: message indexes [0]");
    let (header, payload) = framed.split_at(6);
    let message = DynamicMessage::decode(interop_descriptor(), payload).unwrap();
    [header, &message.encode_to_vec()].concat()
}

async fn ours(client: &Client, case: &str) -> Vec<u8> {
    let framed = ours_framed(client, case, config(case)).await;
    assert_eq!(framed.header, None);
    framed.payload
}

/// The example record for `case`, written by our serializer with `config`.
async fn ours_framed(client: &Client, case: &str, config: SerializerConfig) -> Framed {
    let topic = format!("go-{case}");
    let format = case.trim_end_matches("-meta");
    match format {
        "avro" => {
            let value = AvroValue::Record(vec![
                ("id".into(), AvroValue::Long(42)),
                ("name".into(), AvroValue::String("schemata".into())),
            ]);
            let schema = Schema::new(SchemaType::Avro, AVRO);
            AvroSerializer::new(client.clone(), Some(schema), config)
                .unwrap()
                .serialize_value_with_headers(&topic, value)
                .await
                .unwrap()
        }
        "json" => {
            let schema = Schema::new(SchemaType::Json, JSON);
            JsonSerializer::new(client.clone(), Some(schema), config)
                .serialize_with_headers(&topic, &json!({"id": 42, "name": "schemata"}))
                .await
                .unwrap()
        }
        _ => {
            let descriptor = interop_descriptor();
            let mut message = DynamicMessage::new(descriptor);
            message.set_field_by_name("id", ProtoValue::I64(42));
            message.set_field_by_name("name", ProtoValue::String("schemata".into()));
            ProtobufSerializer::new(client.clone(), config)
                .serialize_with_headers(&topic, &message)
                .await
                .unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_go_serializers_and_ours_agree_byte_for_byte() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(go) = build(dir.path()).await else {
        return;
    };
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let theirs = run(&go, &[r.url.clone(), "encode".into()]).await;
    let keys: Vec<&str> = theirs.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), CASES.len(), "{keys:?}");

    let record = json!({"id": 42, "name": "schemata"});
    let mut mine = Vec::new();
    for case in CASES {
        let bytes = unhex(theirs[case].as_str().unwrap());
        assert_eq!(decode(&client, case, &bytes).await, record, "{case}");
        let own = ours(&client, case).await;
        assert_eq!(
            hex(&own),
            hex(&canonical(case, &bytes)),
            "{case}: the same id and bytes"
        );
        mine.push(format!("{case}={}", hex(&own)));
    }
    // The pinned cases write with version 1 of their subject, not the latest (version 2).
    for format in ["avro", "json", "protobuf"] {
        let v1 = client
            .version(&format!("go-{format}-meta-value"), 1)
            .await
            .unwrap();
        let framed = unhex(theirs[&format!("{format}-meta")].as_str().unwrap());
        assert_eq!(framed[1..5], v1.id.to_be_bytes(), "{format}");
        let props = &v1.metadata.as_ref().unwrap().properties;
        assert_eq!(props["major"], "1");
        assert_eq!(props["owner"], "go");
    }

    let mut args = vec![r.url.clone(), "decode".into()];
    args.extend(mine);
    let back = run(&go, &args).await;
    for case in CASES {
        assert_eq!(back[case], record, "{case}");
    }
}

/// A bare Protobuf payload (the schema named in a header) in field-number order, as `canonical`
/// puts a framed one.
fn canonical_payload(format: &str, payload: &[u8]) -> Vec<u8> {
    if format != "protobuf" {
        return payload.to_vec();
    }
    DynamicMessage::decode(interop_descriptor(), payload)
        .unwrap()
        .encode_to_vec()
}

/// Confluent 8.x's GUID framing against a registry answering in 8.x's format: Go's
/// `HeaderSchemaIDSerializer` and our `SchemaIdFormat::GuidHeader` write the same header (magic
/// byte 1, the GUID the registry lists for the version, Protobuf's message indexes) and the same
/// bare payload; each side reads the other's, and Go's deserializer reads our GUID prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_go_guid_headers_and_ours_agree_byte_for_byte() {
    let dir = tempfile::TempDir::new().unwrap();
    let Some(go) = build(dir.path()).await else {
        return;
    };
    let r = registry_v8().await;
    let client = Client::from_url(&r.url).unwrap();
    let theirs = run(&go, &[r.url.clone(), "encode-guid".into()]).await;
    let record = json!({"id": 42, "name": "schemata"});
    let config = |id_format| SerializerConfig {
        id_format,
        ..SerializerConfig::default()
    };
    let (mut headed, mut prefixed) = (Vec::new(), Vec::new());
    for format in ["avro", "json", "protobuf"] {
        let guid = client
            .version(&format!("go-{format}-value"), 1)
            .await
            .unwrap()
            .guid
            .unwrap();
        let indexes: &[u8] = if format == "protobuf" { &[0] } else { &[] };
        let header = [&[1u8][..], &guid.0, indexes].concat();
        let their_header = unhex(
            theirs[format]["headers"]["__value_schema_id"]
                .as_str()
                .unwrap(),
        );
        assert_eq!(hex(&their_header), hex(&header), "{format}: Go's header");
        assert_eq!(theirs[format]["headers"].as_object().unwrap().len(), 1);
        let their_payload = unhex(theirs[format]["payload"].as_str().unwrap());
        let headers = [("__value_schema_id", Some(&their_header[..]))];
        assert_eq!(
            decode_with_headers(&client, format, &headers, &their_payload).await,
            record,
            "{format}: ours reads Go's"
        );

        let own = ours_framed(&client, format, config(SchemaIdFormat::GuidHeader)).await;
        let own_header = own.header.unwrap();
        assert_eq!(own_header.name, "__value_schema_id");
        assert_eq!(hex(&own_header.value), hex(&header), "{format}: our header");
        assert_eq!(
            hex(&own.payload),
            hex(&canonical_payload(format, &their_payload)),
            "{format}: the same payload"
        );
        headed.push(format!(
            "{format}={}:{}",
            hex(&own_header.value),
            hex(&own.payload)
        ));
        let own = ours_framed(&client, format, config(SchemaIdFormat::GuidPrefix)).await;
        assert_eq!(own.payload[..header.len()], header[..], "{format}");
        prefixed.push(format!("{format}=:{}", hex(&own.payload)));
    }
    for framed in [headed, prefixed] {
        let mut args = vec![r.url.clone(), "decode-guid".into()];
        args.extend(framed);
        let back = run(&go, &args).await;
        for format in ["avro", "json", "protobuf"] {
            assert_eq!(back[format], record, "{format}: Go reads ours");
        }
    }
}
