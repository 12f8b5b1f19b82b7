//! `SchemaSelection::LatestWithMetadata` (Confluent's `use.latest.with.metadata`) against a live
//! Schemata: a producer pinned to `major=1` keeps writing with that version while newer ones
//! are registered beside it.

use std::collections::BTreeMap;

use schemata_client::apache_avro::types::Value;
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, Error, Metadata, SchemaSelection, SchemaType,
    SerializerConfig,
};
use serde_json::json;

use crate::common::registry;

const V1: &str = r#"{"type":"record","name":"Pinned","namespace":"acme","fields":[{"name":"id","type":"long"}]}"#;
const V2: &str = r#"{"type":"record","name":"Pinned","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;

fn properties(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Registers `schema` with metadata properties through the REST API (the client's own
/// `register` sends no metadata).
async fn register(url: &str, schema: &str, props: serde_json::Value) -> u64 {
    let body = json!({"schema": schema, "metadata": {"properties": props}});
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/subjects/pinned-value/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["id"].as_u64().unwrap()
}

#[tokio::test]
async fn latest_with_metadata_finds_and_writes_with_the_pinned_version() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let v1 = register(&r.url, V1, json!({"major": "1", "owner": "payments"})).await;
    let v2 = register(&r.url, V2, json!({"major": "2", "owner": "payments"})).await;
    assert_eq!((v1, v2), (1, 2));

    let found = client
        .latest_with_metadata("pinned-value", &properties(&[("major", "1")]))
        .await
        .unwrap();
    assert_eq!(
        (found.subject.as_str(), found.version, found.id),
        ("pinned-value", 1, 1)
    );
    assert_eq!(found.schema, V1);
    assert_eq!(found.schema_type, SchemaType::Avro);
    assert_eq!(
        found.metadata,
        Some(Metadata {
            properties: properties(&[("major", "1"), ("owner", "payments")]),
            ..Metadata::default()
        })
    );
    assert_eq!(found.rule_set, None);

    // Every property must match; the newest version that carries them wins.
    let both = properties(&[("major", "2"), ("owner", "payments")]);
    let found = client
        .latest_with_metadata("pinned-value", &both)
        .await
        .unwrap();
    assert_eq!((found.version, found.id), (2, 2));
    let owner = properties(&[("owner", "payments")]);
    let found = client
        .latest_with_metadata("pinned-value", &owner)
        .await
        .unwrap();
    assert_eq!(found.version, 2);

    // None carries them: Confluent's 40403; an unknown subject: 40401.
    let err = client
        .latest_with_metadata("pinned-value", &properties(&[("major", "3")]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Registry { status: 404, code: 40403, message } if message == "Schema not found"),
        "{err:?}"
    );
    let err = client
        .latest_with_metadata("nobody-value", &properties(&[("major", "1")]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Registry { status: 404, code: 40401, message } if message == "Subject 'nobody-value' not found."),
        "{err:?}"
    );

    // The serializer writes with version 1's schema and id although version 2 is the latest.
    let config = SerializerConfig {
        selection: SchemaSelection::LatestWithMetadata(properties(&[("major", "1")])),
        ..SerializerConfig::default()
    };
    let serializer = AvroSerializer::new(client.clone(), None, config).unwrap();
    let record = Value::Record(vec![("id".into(), Value::Long(7))]);
    let bytes = serializer.serialize_value("pinned", record).await.unwrap();
    assert_eq!(bytes, [0, 0, 0, 0, 1, 14]);
    let back = AvroDeserializer::new(client, None)
        .unwrap()
        .deserialize_value(&bytes)
        .await
        .unwrap();
    assert_eq!(back, Value::Record(vec![("id".into(), Value::Long(7))]));
}
