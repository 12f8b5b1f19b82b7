//! Byte-for-byte interop with Confluent's Python serializers (confluent-kafka from PyPI): the
//! same record framed by both sides, each side decoding the other's bytes. Skipped with one
//! line when Python or confluent-kafka is missing, unless SCHEMATA_REQUIRE_PYTHON is set.

use schemata_client::apache_avro::types::Value as AvroValue;
use schemata_client::prost_reflect::{DynamicMessage, Value as ProtoValue};
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, JsonSerializer, ProtobufSerializer, Schema,
    SchemaSelection, SchemaType, SerializerConfig,
};
use serde_json::{json, Value};
use tokio::process::Command;

use crate::common::registry;
use crate::interop::{decode, hex, stdout_of, unhex};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/interop.py");
const AVRO: &str = r#"{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#;
const JSON: &str = r#"{"type":"object","title":"Interop","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id","name"]}"#;
const PROTO: &str = "syntax = \"proto3\";\npackage schemata;\n\nmessage Interop {\n  int64 id = 1;\n  string name = 2;\n}\n";

async fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import confluent_kafka.schema_registry, fastavro, google.protobuf, jsonschema, celpy",
        ])
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("SCHEMATA_REQUIRE_PYTHON").is_none(),
            "confluent-kafka for Python is required"
        );
        eprintln!(
            "skipped: python3 with confluent-kafka[avro,json,protobuf,schemaregistry] and cel-python not found"
        );
    }
    ok
}

async fn python(args: &[&str]) -> String {
    let out = stdout_of(Command::new("python3").arg(SCRIPT).args(args)).await;
    String::from_utf8(out).unwrap().trim().to_string()
}

async fn ours(client: &Client, format: &str) -> Vec<u8> {
    let config = SerializerConfig::default();
    let record = json!({"id": 42, "name": "schemata"});
    match format {
        "avro" => {
            let value = schemata_client::apache_avro::types::Value::Record(vec![
                (
                    "id".into(),
                    schemata_client::apache_avro::types::Value::Long(42),
                ),
                (
                    "name".into(),
                    schemata_client::apache_avro::types::Value::String("schemata".into()),
                ),
            ]);
            let s = AvroSerializer::new(
                client.clone(),
                Some(Schema::new(SchemaType::Avro, AVRO)),
                config,
            )
            .unwrap();
            s.serialize_value("interop", value).await.unwrap()
        }
        "json" => {
            let s = JsonSerializer::new(
                client.clone(),
                Some(Schema::new(SchemaType::Json, JSON)),
                config,
            );
            s.serialize("interop", &record).await.unwrap()
        }
        _ => {
            let parsed = compat::protobuf::ProtobufSchema::parse(
                PROTO,
                &[],
                compat::ParseOptions::default(),
            )
            .unwrap();
            let descriptor = parsed
                .file()
                .parent_pool()
                .get_message_by_name("schemata.Interop")
                .unwrap();
            let mut message = DynamicMessage::new(descriptor);
            message.set_field_by_name("id", ProtoValue::I64(42));
            message.set_field_by_name("name", ProtoValue::String("schemata".into()));
            ProtobufSerializer::new(client.clone(), config)
                .serialize("interop", &message)
                .await
                .unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_python_serializers_and_ours_agree_byte_for_byte() {
    if !python_ready().await {
        return;
    }
    for format in ["avro", "json", "protobuf"] {
        let r = registry().await;
        let client = Client::from_url(&r.url).unwrap();
        let theirs = unhex(&python(&[&r.url, format, "encode"]).await);
        assert_eq!(
            decode(&client, format, &theirs).await,
            json!({"id": 42, "name": "schemata"}),
            "{format}"
        );
        let mine = ours(&client, format).await;
        assert_eq!(
            hex(&mine),
            hex(&theirs),
            "{format}: the same schema, id and bytes"
        );
        let back: Value =
            serde_json::from_str(&python(&[&r.url, format, "decode", &hex(&mine)]).await).unwrap();
        assert_eq!(back, json!({"id": 42, "name": "schemata"}), "{format}");
    }
}

/// Confluent's Python client and ours, both with a base URL ending in `/contexts/.staging`,
/// register into the `.staging` context and its own id space: the Avro record gets id 1 there
/// although id 1 in the default context is another schema, and each side decodes the other's
/// bytes through the context.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_url_with_a_context_registers_and_round_trips_in_that_context() {
    if !python_ready().await {
        return;
    }
    let r = registry().await;
    let default = Client::from_url(&r.url).unwrap();
    let other = Schema::new(
        SchemaType::Avro,
        r#"{"type":"record","name":"Other","fields":[]}"#,
    );
    assert_eq!(
        default
            .register("other-value", &other, false)
            .await
            .unwrap(),
        1
    );

    let staging_url = format!("{}/contexts/.staging", r.url);
    let staging = Client::from_url(&staging_url).unwrap();
    let theirs = unhex(&python(&[&staging_url, "avro", "encode"]).await);
    assert_eq!(theirs[..5], [0, 0, 0, 0, 1], "id 1 in .staging");
    let record = json!({"id": 42, "name": "schemata"});
    assert_eq!(decode(&staging, "avro", &theirs).await, record);
    let mine = ours(&staging, "avro").await;
    assert_eq!(hex(&mine), hex(&theirs), "the same context, id and bytes");
    let back: Value =
        serde_json::from_str(&python(&[&staging_url, "avro", "decode", &hex(&mine)]).await)
            .unwrap();
    assert_eq!(back, record);

    // Seen from the default context: the subject is qualified, and id 1 is still `Other`.
    assert_eq!(
        default.subjects(false).await.unwrap(),
        [":.staging:interop-value", "other-value"]
    );
    assert_eq!(
        default.schema_by_id(1).await.unwrap().schema,
        r#"{"type":"record","name":"Other","fields":[]}"#
    );
    let staged = default.version(":.staging:interop-value", 1).await.unwrap();
    assert_eq!((staged.id, staged.schema.as_str()), (1, AVRO));
}

const CONTRACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/contracts.py");

/// A data contract registered by Confluent's Python client comes back whole through it (by
/// metadata and by lookup) and through the REST API, and its CEL rule, run by the client's
/// serializer with `use.latest.version`, keeps one record and refuses another; ours, selecting
/// the latest version, keeps and refuses the same.
#[tokio::test]
async fn pythons_data_contracts_round_trip() {
    if !python_ready().await {
        return;
    }
    let registry = registry().await;
    let mut contracts = Command::new("python3");
    contracts.args([CONTRACTS, &registry.url, "contracts-value"]);
    let read: Value = serde_json::from_slice(&stdout_of(&mut contracts).await).unwrap();
    let metadata = json!({
        "tags": {"schemata.Contract.ssn": ["PII"]},
        "properties": {"major": "1", "owner": "payments"},
        "sensitive": ["ssn"]
    });
    let rules = json!({"domainRules": [{
        "name": "idPositive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
        "expr": "message.id > 0", "onFailure": "ERROR", "disabled": false
    }]});
    assert_eq!(read["id"], 1);
    assert_eq!(read["lookup"], json!({"version": 1, "id": 1}));
    // Id 1, then {"id": 7, "ssn": "000"} in Avro: 7 zig-zagged, then "000" with its length.
    assert_eq!(read["kept"], "00000000010e06303030");
    assert_eq!(
        read["refused"],
        "SerializationError from RuleConditionError: Rule expr failed: message.id > 0"
    );
    assert_eq!(read["latest"]["version"], 1);
    assert_eq!(read["latest"]["metadata"], metadata);
    // The Python client writes empty phases as empty lists; the rules themselves must agree.
    assert_eq!(
        read["latest"]["ruleSet"]["domainRules"],
        rules["domainRules"]
    );
    assert_eq!(read["latest"]["ruleSet"]["migrationRules"], json!([]));
    let rest = &read["rest"];
    assert_eq!(rest["metadata"], metadata);
    assert_eq!(rest["ruleSet"], rules);
    assert_eq!(rest["version"], 1);

    // Our serializer, on the same version, runs the same rule to the same outcome: the kept
    // record is Python's bytes, the other is refused; ours reads Python's.
    let client = Client::from_url(&registry.url).unwrap();
    let config = SerializerConfig {
        selection: SchemaSelection::Latest,
        ..SerializerConfig::default()
    };
    let serializer = AvroSerializer::new(client.clone(), None, config).unwrap();
    let record = |id: i64| {
        AvroValue::Record(vec![
            ("id".into(), AvroValue::Long(id)),
            ("ssn".into(), AvroValue::String("000".into())),
        ])
    };
    let kept = serializer
        .serialize_value("contracts", record(7))
        .await
        .unwrap();
    assert_eq!(hex(&kept), read["kept"].as_str().unwrap());
    let refused = serializer
        .serialize_value("contracts", record(-7))
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "rule idPositive failed (ERROR): Expr failed: 'message.id > 0'"
    );
    let theirs = unhex(read["kept"].as_str().unwrap());
    let back = AvroDeserializer::new(client, None)
        .unwrap()
        .deserialize_value(&theirs)
        .await
        .unwrap();
    assert_eq!(back, record(7));
}
