//! Any bytes: split in two, each half parsed as a JSON Schema; when both parse, diffed both ways.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemata_compat::{parse, ParseOptions, SchemaType};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (a, b) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let options = ParseOptions { normalize: false, validate: true };
    let parsed = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| parse(SchemaType::Json, text, &[], options).ok())
    };
    if let (Some(a), Some(b)) = (parsed(a), parsed(b)) {
        let _ = a.changes_reading(&b);
        let _ = b.changes_reading(&a);
    }
});
