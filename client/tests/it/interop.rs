//! What the interop tests against Confluent's clients (Go, JavaScript, Python) share: bytes as
//! hex on the command line, and decoding a framed message with our deserializers.

use schemata_client::{AvroDeserializer, Client, JsonDeserializer, ProtobufDeserializer};
use serde_json::{json, Value};

/// What `command` prints on stdout; it must succeed (its stderr is the failure message).
pub async fn stdout_of(command: &mut tokio::process::Command) -> Vec<u8> {
    let out = command.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `bytes` decoded by our deserializer for `case` (`avro`, `json` or `protobuf`, with or
/// without a `-meta` suffix), as JSON.
pub async fn decode(client: &Client, case: &str, bytes: &[u8]) -> Value {
    decode_with_headers(client, case, &[], bytes).await
}

/// [`decode`] for a record with `headers`, which may name its schema (Confluent 8.x).
pub async fn decode_with_headers(
    client: &Client,
    case: &str,
    headers: &[(&str, Option<&[u8]>)],
    bytes: &[u8],
) -> Value {
    let headers = headers.iter().copied();
    match case.trim_end_matches("-meta") {
        "avro" => {
            let v = AvroDeserializer::new(client.clone(), None)
                .unwrap()
                .deserialize_value_with_headers(headers, bytes)
                .await
                .unwrap();
            Value::try_from(v).unwrap()
        }
        "json" => JsonDeserializer::new(client.clone(), true)
            .deserialize_value_with_headers(headers, bytes)
            .await
            .unwrap(),
        _ => {
            let m = ProtobufDeserializer::new(client.clone())
                .deserialize_with_headers(headers, bytes)
                .await
                .unwrap();
            json!({"id": m.get_field_by_name("id").unwrap().as_i64(), "name": m.get_field_by_name("name").unwrap().as_str()})
        }
    }
}
