//! Confluent's JSON Schema diff tables (`../shared/compat-vectors/json/`, test-only, CCL): every
//! case's change list (as a multiset), its STRICT verdict and its LENIENT verdict.

use std::path::PathBuf;

use schemata_compat::{parse, ParseOptions, Policy, Schema, SchemaType};
use serde_json::Value;

mod common;
use common::change_lists;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat-vectors/json")
}

/// The 2020-12 file has one trailing comma (Confluent's parser accepts it); drop commas that
/// directly precede `}` or `]`, outside strings.
fn lenient_json(text: &str) -> Value {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            in_string = c != '"' || escaped_before(&chars, i);
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    serde_json::from_str(&out).unwrap()
}

/// Whether the quote at `i` is escaped (an odd number of backslashes before it).
fn escaped_before(chars: &[char], i: usize) -> bool {
    chars[..i].iter().rev().take_while(|c| **c == '\\').count() % 2 == 1
}

fn schema(case: &Value, side: &str) -> Schema {
    let text = case[format!("{side}_schema")].to_string();
    parse(SchemaType::Json, &text, &[], ParseOptions::default())
        .unwrap_or_else(|e| panic!("{side}: {e}"))
}

#[test]
fn every_confluent_json_case_matches() {
    let root = root();
    if !root.exists() {
        eprintln!("skipped: {} not found", root.display());
        return;
    }
    let mut count = 0;
    let mut failures = Vec::new();
    for file in [
        "diff-schema-examples.json",
        "diff-schema-examples-2020-12.json",
        "diff-combined-schema-examples.json",
        "diff-combined-schema-examples-2020-12.json",
    ] {
        let cases = lenient_json(&std::fs::read_to_string(root.join(file)).unwrap());
        for (i, case) in cases.as_array().unwrap().iter().enumerate() {
            count += 1;
            let (original, update) = (schema(case, "original"), schema(case, "update"));
            let changes = update.changes_reading(&original).unwrap();
            let (got, want) = change_lists(&changes, &case["changes"]);
            let strict = changes.iter().all(|c| c.kind.is_compatible(Policy::Strict));
            let lenient = changes
                .iter()
                .all(|c| c.kind.is_compatible(Policy::Lenient));
            let want_strict = case["compatible"].as_bool().unwrap();
            let want_lenient = case["compatible_lenient"].as_bool().unwrap_or(want_strict);
            if got != want || strict != want_strict || lenient != want_lenient {
                failures.push(format!(
                    "{file} #{i} {}: got {got:?} (strict {strict}, lenient {lenient}), expected {want:?} ({want_strict}, {want_lenient})",
                    case["description"]
                ));
            }
        }
    }
    assert_eq!(count, 104 + 113 + 28 + 18);
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_recursive_schema_compared_with_itself_has_no_changes() {
    let path = root().join("recursive-schema.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} not found", path.display());
        return;
    };
    let a = parse(SchemaType::Json, &text, &[], ParseOptions::default()).unwrap();
    let b = parse(SchemaType::Json, &text, &[], ParseOptions::default()).unwrap();
    assert_eq!(b.changes_reading(&a).unwrap(), Vec::new());
}
