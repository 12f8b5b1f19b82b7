//! Confluent's JavaScript client (`@confluentinc/schemaregistry` from npm; the script is
//! tests/js/interop.js) against a live Schemata: Avro framed by both sides is the same bytes and
//! each side decodes the other's, plain and pinned by `use.latest.with.metadata` to a version
//! whose CEL rule the JavaScript serializer enforces. Skipped with one line when Node.js or the
//! package (`npm ci` in tests/js) is missing, unless SCHEMATA_REQUIRE_NODE is set.

use std::collections::BTreeMap;
use std::path::Path;

use schemata_client::apache_avro::types::Value as AvroValue;
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, Schema, SchemaIdFormat, SchemaSelection, SchemaType,
    SerializerConfig,
};
use serde_json::{json, Value};
use tokio::process::Command;

use crate::common::{registry, registry_v8};
use crate::interop::{hex, stdout_of, unhex};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/js");
const AVRO: &str = r#"{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#;

async fn node_ready() -> bool {
    let node = Command::new("node").arg("--version").output().await;
    let installed = Path::new(DIR)
        .join("node_modules/@confluentinc/schemaregistry/package.json")
        .exists();
    let ok = node.is_ok_and(|o| o.status.success()) && installed;
    if !ok {
        assert!(
            std::env::var_os("SCHEMATA_REQUIRE_NODE").is_none(),
            "Node.js with @confluentinc/schemaregistry (npm ci in tests/js) is required"
        );
        eprintln!("skipped: node or @confluentinc/schemaregistry (npm ci in tests/js) not found");
    }
    ok
}

async fn node(args: &[String]) -> Value {
    let mut node = Command::new("node");
    node.current_dir(DIR).arg("interop.js").args(args);
    serde_json::from_slice(&stdout_of(&mut node).await).unwrap()
}

async fn ours(client: &Client, case: &str) -> Vec<u8> {
    let selection = match case {
        "avro" => SchemaSelection::AutoRegister,
        _ => SchemaSelection::LatestWithMetadata(BTreeMap::from([("major".into(), "1".into())])),
    };
    let config = SerializerConfig {
        selection,
        ..SerializerConfig::default()
    };
    let value = AvroValue::Record(vec![
        ("id".into(), AvroValue::Long(42)),
        ("name".into(), AvroValue::String("schemata".into())),
    ]);
    let schema = Schema::new(SchemaType::Avro, AVRO);
    AvroSerializer::new(client.clone(), Some(schema), config)
        .unwrap()
        .serialize_value(&format!("js-{case}"), value)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_javascript_serializers_and_ours_agree_and_its_rules_hold() {
    if !node_ready().await {
        return;
    }
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let theirs = node(&[r.url.clone(), "encode".into()]).await;
    let theirs = theirs.as_object().unwrap();
    let record = json!({"id": 42, "name": "schemata"});

    // Version 1 of the pinned subject, as the JavaScript client reads it back by its metadata.
    assert_eq!(
        theirs["latest"],
        json!({
            "version": 1, "id": 2,
            "metadata": {"properties": {"major": "1", "owner": "js"}},
            "ruleSet": {"domainRules": [{
                "name": "idPositive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                "expr": "message.id > 0", "onFailure": "ERROR", "disabled": false
            }]}
        })
    );
    // The rule the registry kept is the one the JavaScript serializer enforces.
    assert_eq!(
        theirs["refused"],
        "Error: rule idPositive failed: Expr failed: 'message.id > 0'"
    );

    let mut args = vec![r.url.clone(), "decode".into()];
    for case in ["avro", "avro-rule"] {
        let bytes = unhex(theirs[case].as_str().unwrap());
        let back = AvroDeserializer::new(client.clone(), None)
            .unwrap()
            .deserialize_value(&bytes)
            .await
            .unwrap();
        assert_eq!(Value::try_from(back).unwrap(), record, "{case}");
        let own = ours(&client, case).await;
        assert_eq!(hex(&own), hex(&bytes), "{case}: the same id and bytes");
        args.push(format!("{case}={}", hex(&own)));
    }
    assert_eq!(
        theirs["avro-rule"].as_str().unwrap()[..10],
        *"0000000002",
        "pinned to version 1 (id 2), not the latest (id 3)"
    );
    let back = node(&args).await;
    assert_eq!(back["avro"], record);
    assert_eq!(back["avro-rule"], record);

    // Our serializer, pinned to the same version, refuses the record the JavaScript one refused;
    // pinned to version 2, whose rule is disabled, it writes it.
    let negative = AvroValue::Record(vec![
        ("id".into(), AvroValue::Long(-1)),
        ("name".into(), AvroValue::String("negative".into())),
    ]);
    let pinned = |major: &str| SerializerConfig {
        selection: SchemaSelection::LatestWithMetadata(BTreeMap::from([(
            "major".into(),
            major.into(),
        )])),
        ..SerializerConfig::default()
    };
    let refused = AvroSerializer::new(client.clone(), None, pinned("1"))
        .unwrap()
        .serialize_value("js-avro-rule", negative.clone())
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "rule idPositive failed (ERROR): Expr failed: 'message.id > 0'"
    );
    let written = AvroSerializer::new(client, None, pinned("2"))
        .unwrap()
        .serialize_value("js-avro-rule", negative)
        .await
        .unwrap();
    assert_eq!(written[..5], [0, 0, 0, 0, 3], "version 2 (id 3)");
}

/// Confluent 8.x's GUID framing against a registry answering in 8.x's format: the JavaScript
/// client's `HeaderSchemaIdSerializer` and our `GuidHeader` write the same header and payload,
/// each side reads the other's, and the JavaScript deserializer reads our `GuidPrefix`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_javascript_guid_headers_and_ours_agree_byte_for_byte() {
    if !node_ready().await {
        return;
    }
    let r = registry_v8().await;
    let client = Client::from_url(&r.url).unwrap();
    let theirs = node(&[r.url.clone(), "encode-guid".into()]).await;
    let guid = client
        .version("js-guid-value", 1)
        .await
        .unwrap()
        .guid
        .unwrap();
    let header = [&[1u8][..], &guid.0].concat();
    assert_eq!(theirs["header"], hex(&header));
    let value = AvroValue::Record(vec![
        ("id".into(), AvroValue::Long(42)),
        ("name".into(), AvroValue::String("schemata".into())),
    ]);
    let their_payload = unhex(theirs["payload"].as_str().unwrap());
    let headers = [("__value_schema_id", Some(&header[..]))];
    let back = AvroDeserializer::new(client.clone(), None)
        .unwrap()
        .deserialize_value_with_headers(headers, &their_payload)
        .await
        .unwrap();
    assert_eq!(back, value);

    let config = |id_format| SerializerConfig {
        id_format,
        ..SerializerConfig::default()
    };
    let schema = Schema::new(SchemaType::Avro, AVRO);
    let headed = AvroSerializer::new(
        client.clone(),
        Some(schema.clone()),
        config(SchemaIdFormat::GuidHeader),
    )
    .unwrap()
    .serialize_value_with_headers("js-guid", value.clone())
    .await
    .unwrap();
    assert_eq!(hex(&headed.header.unwrap().value), hex(&header));
    assert_eq!(hex(&headed.payload), hex(&their_payload));
    let prefixed = AvroSerializer::new(client, Some(schema), config(SchemaIdFormat::GuidPrefix))
        .unwrap()
        .serialize_value("js-guid", value)
        .await
        .unwrap();
    let args = vec![
        r.url.clone(),
        "decode-guid".into(),
        format!("{}:{}", hex(&header), hex(&headed.payload)),
        format!(":{}", hex(&prefixed)),
    ];
    let record = json!({"id": 42, "name": "schemata"});
    assert_eq!(node(&args).await, json!([record, record]));
}
