//! Confluent's Protobuf diff table (`../shared/compat-vectors/protobuf/`, test-only, CCL):
//! every case's change list (as a multiset) and BACKWARD verdict.

use std::path::{Path, PathBuf};

use schemata_compat::{parse, Dependency, ParseOptions, Policy, Schema, SchemaType};
use serde_json::Value;

mod common;
use common::change_lists;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat-vectors/protobuf")
}

/// A schema given inline, or as a path relative to the vectors' resource root.
fn text(root: &Path, s: &str) -> String {
    if s.ends_with(".proto") {
        std::fs::read_to_string(root.join(s)).unwrap()
    } else {
        s.to_string()
    }
}

fn dependencies(root: &Path, case: &Value, side: &str) -> Vec<(String, String)> {
    case[format!("{side}_dependencies")]
        .as_array()
        .map(|deps| {
            deps.iter()
                .filter_map(|d| {
                    let name = d["name"].as_str().unwrap().to_string();
                    match d["dependency"].as_str() {
                        Some(t) => Some((name, t.to_string())),
                        // A file of the resource root, or a built-in the registry ships.
                        None => std::fs::read_to_string(root.join(&name))
                            .ok()
                            .map(|t| (name, t)),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn schema(root: &Path, case: &Value, side: &str) -> Schema {
    let deps = dependencies(root, case, side);
    let deps: Vec<Dependency<'_>> = deps
        .iter()
        .map(|(name, schema)| Dependency { name, schema })
        .collect();
    let source = text(root, case[format!("{side}_schema")].as_str().unwrap());
    parse(
        SchemaType::Protobuf,
        &source,
        &deps,
        ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{side}: {e}"))
}

#[test]
fn every_confluent_protobuf_case_matches() {
    let root = root();
    if !root.exists() {
        eprintln!("skipped: {} not found", root.display());
        return;
    }
    let mut count = 0;
    let mut failures = Vec::new();
    for file in [
        "diff-schema-examples.json",
        "diff-schema-examples-with-meta.json",
    ] {
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(root.join(file)).unwrap()).unwrap();
        for (i, case) in cases.iter().enumerate() {
            count += 1;
            let (original, update) = (
                schema(&root, case, "original"),
                schema(&root, case, "update"),
            );
            let changes = update.changes_reading(&original).unwrap();
            let (got, want) = change_lists(&changes, &case["changes"]);
            let compatible = changes.iter().all(|c| c.kind.is_compatible(Policy::Strict));
            if got != want || compatible != case["compatible"].as_bool().unwrap() {
                failures.push(format!(
                    "{file} #{i} {}: got {got:?} (compatible {compatible}), expected {want:?} ({})",
                    case["description"], case["compatible"]
                ));
            }
        }
    }
    assert_eq!(count, 55);
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
