use schemata_client::{AvroDeserializer, Client, JsonDeserializer, ProtobufDeserializer};

use crate::common::registry;

#[tokio::test]
async fn bad_frames_are_errors_not_panics() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let avro = AvroDeserializer::new(client.clone(), None).unwrap();
    let json = JsonDeserializer::new(client.clone(), true);
    let proto = ProtobufDeserializer::new(client);
    let cases: [(&[u8], &str); 4] = [
        (&[], "invalid frame: empty message"),
        (
            &[0, 0, 1],
            "invalid frame: 3 bytes, shorter than the 5-byte header",
        ),
        (
            &[1, 0, 0, 0, 1, 2],
            "invalid frame: 6 bytes, shorter than the 17-byte GUID header",
        ),
        (
            &[2, 0, 0, 0, 1, 2],
            "invalid frame: unknown magic byte 2, expected 0 or 1",
        ),
    ];
    for (bytes, message) in cases {
        let errors = [
            avro.deserialize_value(bytes).await.unwrap_err(),
            json.deserialize_value(bytes).await.unwrap_err(),
            proto.deserialize(bytes).await.unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e.to_string(), message, "{bytes:?}");
        }
    }
    // Unknown id: the registry's 40403.
    let err = avro
        .deserialize_value(&[0, 0, 0, 0, 9, 2])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(40403));
    assert_eq!(
        err.to_string(),
        "registry error 40403 (HTTP 404): Schema 9 not found"
    );
    // Truncated message indexes.
    let cases: [(&[u8], &str); 3] = [
        (
            &[0, 0, 0, 0, 1],
            "invalid frame: truncated or overlong varint",
        ),
        (
            &[0, 0, 0, 0, 1, 0x80],
            "invalid frame: truncated or overlong varint",
        ),
        (
            &[0, 0, 0, 0, 1, 6, 2],
            "invalid frame: 3 message indexes announced, 1 bytes follow",
        ),
    ];
    for (bytes, message) in cases {
        assert_eq!(
            proto.deserialize(bytes).await.unwrap_err().to_string(),
            message,
            "{bytes:?}"
        );
    }
}
