//! JSON Schema parsing outside the diff: dialects, canonical text and normalization, metaschema
//! errors, and the document validation the client's serializer uses.

use schemata_compat::json::JsonSchema;
use schemata_compat::{Dependency, ParseOptions};
use serde_json::json;

const STRICT: ParseOptions = ParseOptions {
    normalize: false,
    validate: true,
};

#[test]
fn canonical_text_is_compact_keeps_numbers_exact_and_key_order_unless_normalized() {
    let text = "{ \"type\": \"object\",\n  \"properties\": { \"b\": {}, \"a\": {\"type\": \"string\", \"minimum\": 1.50} } }";
    let s = JsonSchema::parse(text, &[], STRICT).unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"object","properties":{"b":{},"a":{"type":"string","minimum":1.50}}}"#
    );
    let normalized = JsonSchema::parse(
        text,
        &[],
        ParseOptions {
            normalize: true,
            validate: true,
        },
    )
    .unwrap();
    assert_eq!(
        normalized.canonical(),
        r#"{"properties":{"a":{"minimum":1.50,"type":"string"},"b":{}},"type":"object"}"#
    );
}

#[test]
fn every_dialect_is_checked_against_its_own_metaschema() {
    // `exclusiveMaximum` is a boolean in draft-04 and a number from draft-06 on.
    let draft4 = r#"{"$schema":"http://json-schema.org/draft-04/schema#","maximum":3,"exclusiveMaximum":true}"#;
    assert!(JsonSchema::parse(draft4, &[], STRICT).is_ok());
    let draft7 = r#"{"$schema":"http://json-schema.org/draft-07/schema#","maximum":3,"exclusiveMaximum":true}"#;
    let err = JsonSchema::parse(draft7, &[], STRICT).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid JSON Schema at /exclusiveMaximum: true is not of type \"number\""
    );
    for uri in [
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
        "http://json-schema.org/draft-06/schema#",
    ] {
        let text = json!({"$schema": uri, "type": "string"}).to_string();
        assert!(JsonSchema::parse(&text, &[], STRICT).is_ok(), "{uri}");
    }
}

#[test]
fn documents_are_validated_with_references_resolved_offline() {
    let address = r#"{"type":"object","properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}"#;
    let person = r#"{"type":"object","properties":{"name":{"type":"string"},"home":{"$ref":"address.json"}},"required":["name"]}"#;
    let deps = [Dependency {
        name: "address.json",
        schema: address,
    }];
    let s = JsonSchema::parse(person, &deps, STRICT).unwrap();
    assert_eq!(
        s.validate(&json!({"name": "Ada", "home": {"zip": "12345"}})),
        Ok(())
    );
    assert_eq!(
        s.validate(&json!({"name": "Ada", "home": {"zip": "1234"}})),
        Err("\"1234\" does not match \"^[0-9]{5}$\" at /home/zip".to_string())
    );
    assert_eq!(
        s.validate(&json!({"home": {"zip": "12345"}})),
        Err("\"name\" is a required property at #".to_string())
    );
}

#[test]
fn references_to_the_network_are_refused() {
    let s = JsonSchema::parse(r#"{"$ref":"https://example.com/x.json"}"#, &[], STRICT);
    assert_eq!(
        s.unwrap_err().to_string(),
        "'$ref' to 'https://example.com/x.json' at #: no reference supplies 'https://example.com/x.json'"
    );
}
