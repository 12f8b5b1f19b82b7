use schemata_client::{
    Client, Error, JsonDeserializer, JsonSerializer, Schema, SchemaType, SerializerConfig,
};
use serde_json::json;

use crate::common::registry;

#[tokio::test]
async fn json_values_are_validated_and_round_trip() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let schema = r#"{"type":"object","properties":{"id":{"type":"integer"},"item":{"type":"string"}},"required":["id"]}"#;
    let serializer = JsonSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Json, schema)),
        SerializerConfig::default(),
    );
    let value = json!({"id": 7, "item": "tea"});
    let bytes = serializer.serialize("orders", &value).await.unwrap();
    assert_eq!(bytes[..5], [0, 0, 0, 0, 1]);
    assert_eq!(&bytes[5..], br#"{"id":7,"item":"tea"}"#);
    let err = serializer
        .serialize("orders", &json!({"item": "tea"}))
        .await
        .unwrap_err();
    match err {
        Error::Serialization(m) => assert_eq!(m, "\"id\" is a required property at #"),
        other => panic!("{other:?}"),
    }
    let deserializer = JsonDeserializer::new(client, true);
    assert_eq!(deserializer.deserialize_value(&bytes).await.unwrap(), value);
    let mut tampered = bytes[..5].to_vec();
    tampered.extend_from_slice(br#"{"id":"seven"}"#);
    assert_eq!(
        deserializer
            .deserialize_value(&tampered)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: \"seven\" is not of type \"integer\" at /id"
    );
}
