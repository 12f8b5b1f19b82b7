use schemata_client::{AvroDeserializer, Client, Error, JsonDeserializer, ProtobufDeserializer};

use crate::common::registry;

#[tokio::test]
async fn bad_frames_are_errors_not_panics() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let avro = AvroDeserializer::new(client.clone(), None).unwrap();
    let json = JsonDeserializer::new(client.clone(), true);
    let proto = ProtobufDeserializer::new(client);
    for bytes in [&[][..], &[0, 0, 1][..], &[1, 0, 0, 0, 1, 2][..]] {
        assert!(
            matches!(
                avro.deserialize_value(bytes).await,
                Err(Error::InvalidFrame(_))
            ),
            "{bytes:?}"
        );
        assert!(
            matches!(
                json.deserialize_value(bytes).await,
                Err(Error::InvalidFrame(_))
            ),
            "{bytes:?}"
        );
        assert!(
            matches!(proto.deserialize(bytes).await, Err(Error::InvalidFrame(_))),
            "{bytes:?}"
        );
    }
    // Unknown id: the registry's 40403.
    let err = avro
        .deserialize_value(&[0, 0, 0, 0, 9, 2])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(40403));
    // Truncated message indexes.
    for bytes in [
        &[0, 0, 0, 0, 1][..],
        &[0, 0, 0, 0, 1, 0x80][..],
        &[0, 0, 0, 0, 1, 6, 2][..],
    ] {
        assert!(
            matches!(proto.deserialize(bytes).await, Err(Error::InvalidFrame(_))),
            "{bytes:?}"
        );
    }
}
