use compat::protobuf::ProtobufSchema;
use compat::ParseOptions;
use prost::Message;
use schemata_client::prost_reflect::{DynamicMessage, ReflectMessage, Value};
use schemata_client::{Client, ProtobufDeserializer, ProtobufSerializer, SerializerConfig};

use crate::common::registry;

const PROTO: &str = "syntax = \"proto3\";\npackage acme;\nimport \"google/protobuf/timestamp.proto\";\nmessage Header { string source = 1; }\nmessage Order {\n  int64 id = 1;\n  string item = 2;\n  message Line { int32 qty = 1; }\n  repeated Line lines = 3;\n  google.protobuf.Timestamp at = 4;\n}\n";

#[tokio::test]
async fn protobuf_messages_carry_their_indexes_and_round_trip() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let schema = ProtobufSchema::parse(PROTO, &[], ParseOptions::default()).unwrap();
    let pool = schema.file().parent_pool().clone();
    let order = pool.get_message_by_name("acme.Order").unwrap();
    let mut message = DynamicMessage::new(order);
    message.set_field_by_name("id", Value::I64(7));
    message.set_field_by_name("item", Value::String("tea".into()));
    let serializer = ProtobufSerializer::new(client.clone(), SerializerConfig::default());
    let bytes = serializer.serialize("orders", &message).await.unwrap();
    // Order is the second message: indexes [1] are a count of 1 and the index 1, zig-zagged.
    assert_eq!(bytes[..7], [0, 0, 0, 0, 1, 2, 2]);
    let header = DynamicMessage::new(pool.get_message_by_name("acme.Header").unwrap());
    let first = serializer.serialize("headers", &header).await.unwrap();
    assert_eq!(first, [0, 0, 0, 0, 1, 0]);
    let nested = DynamicMessage::new(pool.get_message_by_name("acme.Order.Line").unwrap());
    let nested_bytes = serializer.serialize("lines", &nested).await.unwrap();
    assert_eq!(nested_bytes, [0, 0, 0, 0, 1, 4, 2, 0]);

    let deserializer = ProtobufDeserializer::new(client.clone());
    let back = deserializer.deserialize(&bytes).await.unwrap();
    assert_eq!(back.descriptor().full_name(), "acme.Order");
    assert_eq!(back.get_field_by_name("id").unwrap().as_i64(), Some(7));
    assert_eq!(
        back.get_field_by_name("item").unwrap().as_str(),
        Some("tea")
    );
    assert_eq!(back.encode_to_vec(), message.encode_to_vec());
    assert_eq!(
        deserializer
            .deserialize(&nested_bytes)
            .await
            .unwrap()
            .descriptor()
            .full_name(),
        "acme.Order.Line"
    );
    // The schema was registered once, as .proto text.
    let registered = client.version("orders-value", 1).await.unwrap();
    assert!(
        registered.schema.contains("message Order {"),
        "{}",
        registered.schema
    );
}
