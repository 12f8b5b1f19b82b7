//! Schema identity against Confluent's golden MD5s (`../shared/compat-vectors/identity`).
//! Skips with a message when the shared vectors are not beside the checkout.

use std::path::PathBuf;

use schemata_compat::{guid, identity, Reference};
use serde_json::Value;

fn vectors() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/compat-vectors/identity/schema-md5-golden-data.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("vector file is JSON")),
        Err(_) => {
            eprintln!("skipped: {} not found", path.display());
            None
        }
    }
}

#[test]
fn identity_matches_confluent_md5_with_and_without_references() {
    let Some(v) = vectors() else { return };
    let references: Vec<Reference> = serde_json::from_value(v["references"].clone()).unwrap();
    for (ty, key) in [("AVRO", "avro"), ("PROTOBUF", "protobuf"), ("JSON", "json")] {
        let text = v["schemas"][key].as_str().unwrap();
        let plain = guid(&identity(text, &[]));
        assert_eq!(
            plain,
            v["expectedHashes"][ty]["000"].as_str().unwrap(),
            "{ty} 000"
        );
        let with_refs = guid(&identity(text, &references));
        assert_eq!(
            with_refs,
            v["expectedHashes"][ty]["100"].as_str().unwrap(),
            "{ty} 100"
        );
    }
}
