//! The structured diff of two Avro schemas: every edit, classified per direction.

use schemata_compat::{parse, Difference, ParseOptions, SchemaType};

fn diff(old: &str, new: &str) -> Vec<(String, String, bool, bool)> {
    let p = |t: &str| parse(SchemaType::Avro, t, &[], ParseOptions::default()).unwrap();
    schemata_compat::diff(&p(old), &p(new))
        .into_iter()
        .map(
            |Difference {
                 rule,
                 path,
                 backward_compatible,
                 forward_compatible,
                 ..
             }| {
                (
                    rule.to_string(),
                    path,
                    backward_compatible,
                    forward_compatible,
                )
            },
        )
        .collect()
}

fn row(rule: &str, path: &str, b: bool, f: bool) -> (String, String, bool, bool) {
    (rule.into(), path.into(), b, f)
}

#[test]
fn fields_added_and_removed_are_judged_by_their_defaults() {
    let old = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"gone","type":"int","default":0}]}"#;
    let new = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":"long","default":1}]}"#;
    assert_eq!(
        diff(old, new),
        vec![
            row("FIELD_ADDED", "/fields/1", false, true),
            row("FIELD_ADDED", "/fields/2", true, true),
            row("FIELD_REMOVED", "/fields/1", true, true),
        ]
    );
}

#[test]
fn type_changes_are_judged_by_the_resolution_rules() {
    let old = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
    let new = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"int"}]}"#;
    assert_eq!(
        diff(old, new),
        vec![
            row("TYPE_PROMOTED", "/fields/0/type", true, false),
            row("TYPE_CHANGED", "/fields/1/type", false, false),
        ]
    );
}

#[test]
fn enums_unions_names_and_sizes() {
    let old = r#"{"type":"record","name":"R","fields":[
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
        {"name":"u","type":["null","string"]},
        {"name":"f","type":{"type":"fixed","name":"F","size":4}}]}"#;
    let new = r#"{"type":"record","name":"R2","aliases":["R"],"fields":[
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","C"]}},
        {"name":"u","type":["null","string","int"]},
        {"name":"f","type":{"type":"fixed","name":"F","size":8}}]}"#;
    assert_eq!(
        diff(old, new),
        vec![
            row("NAME_CHANGED", "/name", true, false),
            row("ENUM_SYMBOL_ADDED", "/fields/0/type/symbols", true, false),
            row("ENUM_SYMBOL_REMOVED", "/fields/0/type/symbols", false, true),
            row("UNION_BRANCH_ADDED", "/fields/1/type/2", true, false),
            row("FIXED_SIZE_CHANGED", "/fields/2/type/size", false, false),
        ]
    );
}

#[test]
fn docs_defaults_and_renames_with_aliases() {
    let old = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","doc":"x"},{"name":"b","type":"int","default":1}]}"#;
    let new = r#"{"type":"record","name":"R","fields":[{"name":"a2","type":"int","aliases":["a"],"doc":"y"},{"name":"b","type":"int","default":2}]}"#;
    assert_eq!(
        diff(old, new),
        vec![
            row("FIELD_RENAMED", "/fields/0", true, false),
            row("FIELD_DOC_CHANGED", "/fields/0", true, true),
            row("FIELD_DEFAULT_CHANGED", "/fields/1", true, true),
        ]
    );
}

#[test]
fn recursive_schemas_compare_without_looping() {
    let old = r#"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}"#;
    let new = r#"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]},{"name":"v","type":"int","default":0}]}"#;
    assert_eq!(
        diff(old, new),
        vec![row("FIELD_ADDED", "/fields/1", true, true)]
    );
    assert_eq!(diff(old, old), vec![]);
}
