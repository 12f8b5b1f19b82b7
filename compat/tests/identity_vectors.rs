//! Schema identity against Confluent's golden MD5s (`../shared/compat-vectors/identity`).
//! Skips with a message when the shared vectors are not beside the checkout.

use std::path::PathBuf;

use schemata_compat::{guid, identity, identity_with_contract, Metadata, Reference, RuleSet};
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

#[test]
fn identity_covers_metadata_and_rule_sets_in_all_24_combinations() {
    let Some(v) = vectors() else { return };
    let references: Vec<Reference> = serde_json::from_value(v["references"].clone()).unwrap();
    let metadata: Metadata = serde_json::from_value(v["metadata"].clone()).unwrap();
    let rules: RuleSet = serde_json::from_value(v["rules"].clone()).unwrap();
    let mut checked = 0;
    for (ty, key) in [("AVRO", "avro"), ("PROTOBUF", "protobuf"), ("JSON", "json")] {
        let text = v["schemas"][key].as_str().unwrap();
        // The code's digits say which of references, metadata and rules take part.
        for (code, expected) in v["expectedHashes"][ty].as_object().unwrap() {
            let on = |i: usize| code.as_bytes()[i] == b'1';
            let refs: &[Reference] = if on(0) { &references } else { &[] };
            let got = identity_with_contract(
                text,
                refs,
                on(1).then_some(&metadata),
                on(2).then_some(&rules),
            );
            assert_eq!(guid(&got), expected.as_str().unwrap(), "{ty} {code}");
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
}
