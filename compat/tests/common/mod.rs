//! What the tests over Confluent's diff tables share.

use schemata_compat::Change;
use serde_json::Value;

/// Our changes and a case's expected `changes`, each as a sorted list of `"RULE path"`: Confluent
/// walks maps in Java's hash order, so the tables are compared as multisets.
pub fn change_lists(changes: &[Change], expected: &Value) -> (Vec<String>, Vec<String>) {
    let mut got: Vec<String> = changes
        .iter()
        .map(|c| format!("{} {}", c.kind.id(), c.path))
        .collect();
    let mut want: Vec<String> = serde_json::from_value(expected.clone()).unwrap();
    got.sort();
    want.sort();
    (got, want)
}
