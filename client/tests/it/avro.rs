use schemata_client::apache_avro::types::Value;
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, Error, Schema, SchemaSelection, SchemaType,
    SerializerConfig, SubjectNameStrategy,
};
use serde::{Deserialize, Serialize};

use crate::common::registry;

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"}]}"#;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Order {
    id: i64,
    item: String,
}

#[tokio::test]
async fn avro_round_trips_and_registers_once() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let serializer = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, ORDER)),
        SerializerConfig::default(),
    )
    .unwrap();
    let order = Order {
        id: 7,
        item: "tea".into(),
    };
    let bytes = serializer.serialize("orders", &order).await.unwrap();
    // Magic 0, id 1, then long 7 (zig-zag 14) and the string "tea".
    assert_eq!(bytes, [0, 0, 0, 0, 1, 14, 6, b't', b'e', b'a']);
    for _ in 0..100 {
        assert_eq!(serializer.serialize("orders", &order).await.unwrap(), bytes);
    }
    assert_eq!(client.versions("orders-value").await.unwrap(), vec![1]);
    // A struct whose fields come in another order than the schema's takes apache-avro's writer,
    // which reorders them: the same bytes.
    #[derive(Serialize)]
    struct Reordered {
        item: String,
        id: i64,
    }
    let reordered = Reordered {
        item: "tea".into(),
        id: 7,
    };
    assert_eq!(
        serializer.serialize("orders", &reordered).await.unwrap(),
        bytes
    );
    let value = Value::Record(vec![
        ("id".into(), Value::Long(7)),
        ("item".into(), Value::String("tea".into())),
    ]);
    assert_eq!(
        serializer.serialize_value("orders", value).await.unwrap(),
        bytes
    );
    // The same for a value whose fields come in another order.
    let reordered = Value::Record(vec![
        ("item".into(), Value::String("tea".into())),
        ("id".into(), Value::Long(7)),
    ]);
    assert_eq!(
        serializer
            .serialize_value("orders", reordered)
            .await
            .unwrap(),
        bytes
    );

    let deserializer = AvroDeserializer::new(client.clone(), None).unwrap();
    assert_eq!(
        deserializer.deserialize::<Order>(&bytes).await.unwrap(),
        order
    );
    // Truncated and overlong payloads are errors, for values and for serde types.
    let short = &bytes[..bytes.len() - 1];
    let long = [&bytes[..], &[0]].concat();
    assert_eq!(
        deserializer
            .deserialize_value(short)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: invalid Avro data: length 3 runs past the end"
    );
    assert_eq!(
        deserializer
            .deserialize_value(&long)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: 1 bytes left after the value"
    );
    assert_eq!(
        deserializer
            .deserialize::<Order>(short)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: invalid Avro data: length 3 runs past the end"
    );
    assert_eq!(
        deserializer
            .deserialize::<Order>(&long)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: 1 bytes left after the value"
    );

    // A reader schema with a new field and a default: Avro schema resolution fills it in, for
    // values and for serde types.
    let reader = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"},{"name":"qty","type":"int","default":1}]}"#;
    let resolving = AvroDeserializer::new(client, Some(reader)).unwrap();
    assert_eq!(
        resolving.deserialize_value(&bytes).await.unwrap(),
        Value::Record(vec![
            ("id".into(), Value::Long(7)),
            ("item".into(), Value::String("tea".into())),
            ("qty".into(), Value::Int(1)),
        ])
    );
    #[derive(Deserialize, Debug, PartialEq)]
    struct OrderV2 {
        id: i64,
        item: String,
        qty: i32,
    }
    assert_eq!(
        resolving.deserialize::<OrderV2>(&bytes).await.unwrap(),
        OrderV2 {
            id: 7,
            item: "tea".into(),
            qty: 1
        }
    );
    assert_eq!(
        resolving
            .deserialize_value(&long)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: 1 bytes left after the value"
    );
}

#[tokio::test]
async fn an_incompatible_schema_gets_the_registrys_error_and_nothing_is_written() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let v1 = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, ORDER)),
        SerializerConfig::default(),
    )
    .unwrap();
    v1.serialize(
        "orders",
        &Order {
            id: 1,
            item: "a".into(),
        },
    )
    .await
    .unwrap();
    let breaking = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"sku","type":"string"}]}"#;
    let v2 = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, breaking)),
        SerializerConfig::default(),
    )
    .unwrap();
    let value = Value::Record(vec![
        ("id".into(), Value::Long(1)),
        ("sku".into(), Value::String("x".into())),
    ]);
    match v2.serialize_value("orders", value).await {
        Err(Error::Registry {
            status: 409,
            code: 409,
            message,
        }) => {
            assert!(message.starts_with("Schema being registered is incompatible with an earlier schema for subject \"orders-value\", details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A value that does not fit the schema is an error too, which says where and why.
    let wrong = Value::Record(vec![("id".into(), Value::String("x".into()))]);
    assert_eq!(
        v1.serialize_value("orders", wrong)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: Value does not match schema: the record has 1 field; the schema has 2 that are not nullable"
    );
    let wrong = Value::Record(vec![
        ("id".into(), Value::String("x".into())),
        ("item".into(), Value::String("tea".into())),
    ]);
    assert_eq!(
        v1.serialize_value("orders", wrong)
            .await
            .unwrap_err()
            .to_string(),
        "serialization failed: Value does not match schema: at `.id`: String where the schema has Long"
    );
}

#[tokio::test]
async fn strategies_and_schema_selection() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let by_record = SerializerConfig {
        strategy: SubjectNameStrategy::TopicRecordName,
        ..SerializerConfig::default()
    };
    let s = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, ORDER)),
        by_record,
    )
    .unwrap();
    let order = Order {
        id: 1,
        item: "a".into(),
    };
    s.serialize("orders", &order).await.unwrap();
    assert_eq!(
        client.subjects(false).await.unwrap(),
        vec!["orders-acme.Order"]
    );
    // Look-up mode never registers.
    let lookup = SerializerConfig {
        selection: SchemaSelection::LookUp,
        ..SerializerConfig::default()
    };
    let s = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, ORDER)),
        lookup,
    )
    .unwrap();
    let err = s.serialize("orders", &order).await.unwrap_err();
    assert_eq!(err.code(), Some(40401));
    // Latest and fixed-id modes write with the registry's schema.
    let latest = SerializerConfig {
        selection: SchemaSelection::Latest,
        strategy: SubjectNameStrategy::TopicRecordName,
        ..SerializerConfig::default()
    };
    let s = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, ORDER)),
        latest,
    )
    .unwrap();
    assert_eq!(
        &s.serialize("orders", &order).await.unwrap()[..5],
        [0, 0, 0, 0, 1]
    );
    let fixed = SerializerConfig {
        selection: SchemaSelection::Id(1),
        ..SerializerConfig::default()
    };
    let s = AvroSerializer::new(client, None, fixed).unwrap();
    assert_eq!(
        &s.serialize("anything", &order).await.unwrap()[..5],
        [0, 0, 0, 0, 1]
    );
}

#[tokio::test]
async fn named_types_from_references_and_recursion_round_trip() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let money = r#"{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"cents","type":"long"}]}"#;
    client
        .register("acme.Money", &Schema::new(SchemaType::Avro, money), false)
        .await
        .unwrap();
    // A recursive list of prices, each a Money defined by the reference.
    let priced = r#"{"type":"record","name":"Priced","namespace":"acme","fields":[{"name":"price","type":"Money"},{"name":"next","type":["null","Priced"],"default":null}]}"#;
    let schema = Schema {
        schema: priced.into(),
        schema_type: SchemaType::Avro,
        references: vec![schemata_client::SchemaReference {
            name: "acme.Money".into(),
            subject: "acme.Money".into(),
            version: 1,
        }],
        rule_set: None,
        metadata: None,
    };
    let serializer =
        AvroSerializer::new(client.clone(), Some(schema), SerializerConfig::default()).unwrap();
    let money = |cents| Value::Record(vec![("cents".into(), Value::Long(cents))]);
    let inner = Value::Record(vec![
        ("price".into(), money(5)),
        ("next".into(), Value::Union(0, Box::new(Value::Null))),
    ]);
    let outer = Value::Record(vec![
        ("price".into(), money(7)),
        ("next".into(), Value::Union(1, Box::new(inner))),
    ]);
    let bytes = serializer
        .serialize_value("prices", outer.clone())
        .await
        .unwrap();
    assert_eq!(bytes, [0, 0, 0, 0, 2, 14, 2, 10, 0]);
    let deserializer = AvroDeserializer::new(client, None).unwrap();
    assert_eq!(deserializer.deserialize_value(&bytes).await.unwrap(), outer);
}

/// Hostile bytes meet the same limits whether or not the application resolves them into a
/// reader schema: 100,000 levels of a recursive list are an error, not a stack overflow.
#[tokio::test]
async fn deeply_nested_data_is_an_error_with_and_without_a_reader_schema() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let list =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
    let id = client
        .register("list-value", &Schema::new(SchemaType::Avro, list), false)
        .await
        .unwrap();
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.extend(std::iter::repeat_n(2, 100_000));
    bytes.push(0);
    let reader = r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]},{"name":"label","type":"string","default":""}]}"#;
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Node {
        next: Option<Box<Node>>,
    }
    let deep = "serialization failed: invalid Avro data: data nested deeper than 200 levels";
    for reader in [None, Some(reader)] {
        let deserializer = AvroDeserializer::new(client.clone(), reader).unwrap();
        let value = deserializer.deserialize_value(&bytes).await.unwrap_err();
        assert_eq!(value.to_string(), deep, "{reader:?}");
        let node = deserializer.deserialize::<Node>(&bytes).await.unwrap_err();
        assert_eq!(node.to_string(), deep, "{reader:?}");
    }
    // A shallow list resolves, the new field filled from its default.
    let resolving = AvroDeserializer::new(client, Some(reader)).unwrap();
    let mut shallow = vec![0];
    shallow.extend(id.to_be_bytes());
    shallow.extend([2, 0]);
    assert_eq!(
        resolving.deserialize_value(&shallow).await.unwrap(),
        Value::Record(vec![
            (
                "next".into(),
                Value::Union(
                    1,
                    Box::new(Value::Record(vec![
                        ("next".into(), Value::Union(0, Box::new(Value::Null))),
                        ("label".into(), Value::String(String::new())),
                    ]))
                )
            ),
            ("label".into(), Value::String(String::new())),
        ])
    );
}
