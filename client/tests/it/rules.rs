//! Domain rules against a live registry: schemas registered with rule sets through our client,
//! their CEL rules run by our serializers (`WRITE`) and deserializers (`READ`) in all three
//! formats.

use schemata_client::apache_avro::types::Value as AvroValue;
use schemata_client::prost_reflect::{DynamicMessage, Value as ProtoValue};
use schemata_client::{
    AvroDeserializer, AvroSerializer, Client, JsonDeserializer, JsonSerializer, Metadata,
    ProtobufDeserializer, ProtobufSerializer, RuleSet, Schema, SchemaSelection, SchemaType,
    SerializerConfig,
};
use serde_json::json;

use crate::common::{registry, registry_v8};

const AVRO: &str = r#"{"type":"record","name":"Customer","namespace":"acme","fields":[
    {"name":"id","type":"long"},
    {"name":"email","type":["null","string"],"confluent:tags":["PII"]},
    {"name":"ssn","type":"string"}]}"#;

fn latest() -> SerializerConfig {
    SerializerConfig {
        selection: SchemaSelection::Latest,
        ..SerializerConfig::default()
    }
}

fn rule_set(rules: serde_json::Value) -> Option<RuleSet> {
    Some(serde_json::from_value(json!({ "domainRules": rules })).unwrap())
}

fn customer(id: i64, email: Option<&str>) -> AvroValue {
    let email = match email {
        Some(e) => AvroValue::Union(1, Box::new(AvroValue::String(e.into()))),
        None => AvroValue::Union(0, Box::new(AvroValue::Null)),
    };
    AvroValue::Record(vec![
        ("id".into(), AvroValue::Long(id)),
        ("email".into(), email),
        ("ssn".into(), AvroValue::String("123-45-6789".into())),
    ])
}

#[tokio::test]
async fn avro_conditions_refuse_and_field_transforms_rewrite() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let mut schema = Schema::new(SchemaType::Avro, AVRO);
    schema.rule_set = rule_set(json!([
        {"name": "idPositive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.id > 0"},
        // Masks what is tagged PII: `email` inline, `ssn` through the metadata's tags.
        {"name": "mask", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
         "tags": ["PII"], "expr": "typeName == 'STRING' ; 'xxx'"},
        {"name": "readable", "kind": "CONDITION", "mode": "READ", "type": "CEL",
         "doc": "customer 13 is not read", "expr": "message.id != 13"}
    ]));
    schema.metadata = Some(Metadata {
        tags: [("acme.Customer.ssn".to_string(), vec!["PII".to_string()])].into(),
        ..Metadata::default()
    });
    client
        .register("customers-value", &schema, false)
        .await
        .unwrap();
    let serializer = AvroSerializer::new(client.clone(), None, latest()).unwrap();
    let bytes = serializer
        .serialize_value("customers", customer(7, Some("ada@example.com")))
        .await
        .unwrap();
    let reader = AvroDeserializer::new(client.clone(), None).unwrap();
    let back = reader.deserialize_value(&bytes).await.unwrap();
    let masked = AvroValue::Record(vec![
        ("id".into(), AvroValue::Long(7)),
        (
            "email".into(),
            AvroValue::Union(1, Box::new(AvroValue::String("xxx".into()))),
        ),
        ("ssn".into(), AvroValue::String("xxx".into())),
    ]);
    assert_eq!(back, masked);
    // A null email is not a string: the guard keeps it.
    let bytes = serializer
        .serialize_value("customers", customer(8, None))
        .await
        .unwrap();
    let back = reader.deserialize_value(&bytes).await.unwrap();
    let AvroValue::Record(fields) = back else {
        panic!("{back:?}")
    };
    assert_eq!(fields[1].1, AvroValue::Union(0, Box::new(AvroValue::Null)));
    assert_eq!(
        serializer
            .serialize_value("customers", customer(-1, None))
            .await
            .unwrap_err()
            .to_string(),
        "rule idPositive failed (ERROR): Expr failed: 'message.id > 0'"
    );
    // Serde types go through the same rules.
    #[derive(serde::Serialize)]
    struct Customer {
        id: i64,
        email: Option<String>,
        ssn: String,
    }
    let typed = Customer {
        id: -2,
        email: None,
        ssn: "1".into(),
    };
    assert!(serializer.serialize("customers", &typed).await.is_err());

    // The READ rule: written (WRITE rules do not include it), refused when read.
    let bytes = serializer
        .serialize_value("customers", customer(13, None))
        .await
        .unwrap();
    assert_eq!(
        reader
            .deserialize_value(&bytes)
            .await
            .unwrap_err()
            .to_string(),
        "rule readable failed (ERROR): customer 13 is not read"
    );
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Read {
        id: i64,
    }
    assert!(reader.deserialize::<Read>(&bytes).await.is_err());
    // Read back from a dead-letter topic, where Confluent's DLQ action named the rule it failed:
    // that rule is not run again.
    let dead_lettered = [("__rule.name", Some(&b"readable"[..]))];
    let back = reader
        .deserialize_value_with_headers(dead_lettered, &bytes)
        .await
        .unwrap();
    let AvroValue::Record(fields) = back else {
        panic!("{back:?}")
    };
    assert_eq!(fields[0].1, AvroValue::Long(13));
}

#[tokio::test]
async fn json_and_protobuf_run_their_rules() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let mut schema = Schema::new(
        SchemaType::Json,
        r#"{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}}}"#,
    );
    schema.rule_set = rule_set(json!([
        {"name": "qty", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL",
         "expr": "message.qty > 0"},
        {"name": "upper", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
         "expr": "name == 'sku' ; value.upperAscii()"}
    ]));
    client
        .register("lines-value", &schema, false)
        .await
        .unwrap();
    let serializer = JsonSerializer::new(client.clone(), None, latest());
    let bytes = serializer
        .serialize("lines", &json!({"sku": "tea", "qty": 2}))
        .await
        .unwrap();
    // The fields where they were: the bytes the value would have been without the rule.
    let upper = serde_json::to_vec(&json!({"sku": "TEA", "qty": 2})).unwrap();
    assert_eq!(bytes[5..], upper);
    let e = serializer
        .serialize("lines", &json!({"sku": "tea", "qty": 0}))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "rule qty failed (ERROR): Expr failed: 'message.qty > 0'"
    );
    let reader = JsonDeserializer::new(client.clone(), false);
    assert_eq!(
        reader.deserialize_value(&bytes).await.unwrap(),
        json!({"sku": "TEA", "qty": 2})
    );
    // Written by a serializer without the rules, refused when read.
    let unchecked = [&bytes[..5], br#"{"sku":"tea","qty":0}"#].concat();
    assert!(reader.deserialize_value(&unchecked).await.is_err());

    let proto = "syntax = \"proto3\";\npackage acme;\n\nmessage Line {\n  string sku = 1;\n  uint32 qty = 2;\n}\n";
    let mut schema = Schema::new(SchemaType::Protobuf, proto);
    schema.rule_set = rule_set(json!([
        {"name": "qty", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL_FIELD",
         "expr": "typeName != 'INT' || value > 0u"},
        {"name": "sku", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL",
         "expr": "{'sku': message.sku + '!', 'qty': message.qty}"}
    ]));
    client
        .register("plines-value", &schema, false)
        .await
        .unwrap();
    let pool = compat::protobuf::ProtobufSchema::parse(proto, &[], compat::ParseOptions::default())
        .unwrap()
        .file()
        .parent_pool()
        .clone();
    let line = |qty: u32| {
        let mut m = DynamicMessage::new(pool.get_message_by_name("acme.Line").unwrap());
        m.set_field_by_name("sku", ProtoValue::String("tea".into()));
        m.set_field_by_name("qty", ProtoValue::U32(qty));
        m
    };
    let serializer = ProtobufSerializer::new(client.clone(), latest());
    let bytes = serializer.serialize("plines", &line(3)).await.unwrap();
    let back = ProtobufDeserializer::new(client)
        .deserialize(&bytes)
        .await
        .unwrap();
    assert_eq!(
        back.get_field_by_name("sku").unwrap().as_str(),
        Some("tea!")
    );
    assert_eq!(back.get_field_by_name("qty").unwrap().as_u32(), Some(3));
    assert_eq!(
        serializer
            .serialize("plines", &line(0))
            .await
            .unwrap_err()
            .to_string(),
        "rule qty failed (ERROR): Expr failed: 'typeName != 'INT' || value > 0u'"
    );
}

/// An auto-registering serializer whose own schema has no rules writes with the contract the
/// registry answers with: the previous version's rules, inherited (as Confluent's serializers
/// take the schema as registered).
#[tokio::test]
async fn auto_registering_serializers_run_the_rules_the_registration_inherits() {
    for r in [registry().await, registry_v8().await] {
        let client = Client::from_url(&r.url).unwrap();
        let mut ruled = Schema::new(SchemaType::Avro, AVRO);
        ruled.rule_set = rule_set(json!([
            {"name": "idPositive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
             "expr": "message.id > 0"}
        ]));
        client
            .register("inherit-value", &ruled, false)
            .await
            .unwrap();
        let own = Schema::new(SchemaType::Avro, AVRO);
        let registration = client
            .register_full("inherit-value", &own, false)
            .await
            .unwrap();
        assert_eq!(registration.rule_set, ruled.rule_set, "{}", r.url);
        let serializer =
            AvroSerializer::new(client, Some(own), SerializerConfig::default()).unwrap();
        assert!(serializer
            .serialize_value("inherit", customer(1, None))
            .await
            .is_ok());
        assert_eq!(
            serializer
                .serialize_value("inherit", customer(-1, None))
                .await
                .unwrap_err()
                .to_string(),
            "rule idPositive failed (ERROR): Expr failed: 'message.id > 0'"
        );
    }
}
