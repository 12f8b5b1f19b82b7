//! Golden compatibility cases: `tests/cases/<format>/<case>/` holds `old.<ext>` (or `old1`,
//! `old2`, … for a history, oldest first), `new.<ext>`, optional referenced schemas under
//! `deps/` (for Avro `deps/<full name>.avsc`, for Protobuf `deps/<import path>`, for JSON Schema `deps/<$ref name>`) and
//! `expected.json`: for each of the seven levels, the incompatible changes as `"RULE_ID path"`
//! (compared as a multiset; empty = compatible), and optionally the exact messages for some
//! levels. Every failing case is reported by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemata_compat::{
    check, parse, CompatibilityLevel, Dependency, ParseOptions, Policy, Previous, SchemaType,
};
use serde_json::Value;

fn cases_dir(format: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(format)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs one case; returns what differs from `expected.json`.
/// Every file under `dir`, as (path relative to `dir`, text).
fn files_under(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir.join(rel)) else {
        return;
    };
    for e in entries {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        let rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let path = dir.join(&rel);
        if path.is_dir() {
            files_under(dir, &rel, out);
        } else {
            out.push((rel, read(&path)));
        }
    }
}

fn run(dir: &Path, ty: SchemaType, ext: &str) -> Vec<String> {
    let mut deps: Vec<(String, String)> = Vec::new();
    files_under(&dir.join("deps"), "", &mut deps);
    if ty == SchemaType::Avro {
        // An Avro reference is named by the full name of the type it defines.
        for (name, _) in deps.iter_mut() {
            *name = name.trim_end_matches(".avsc").to_string();
        }
    }
    deps.sort();
    let deps: Vec<Dependency<'_>> = deps
        .iter()
        .map(|(name, schema)| Dependency { name, schema })
        .collect();
    let options = ParseOptions {
        normalize: false,
        validate: true,
    };
    let parse_file = |name: &str| {
        parse(ty, &read(&dir.join(name)), &deps, options).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let single = dir.join(format!("old.{ext}"));
    let olds: Vec<_> = if single.exists() {
        vec![parse_file(&format!("old.{ext}"))]
    } else {
        (1..)
            .map(|i| format!("old{i}.{ext}"))
            .take_while(|n| dir.join(n).exists())
            .map(|n| parse_file(&n))
            .collect()
    };
    let new = parse_file(&format!("new.{ext}"));
    let history: Vec<Previous<'_>> = olds
        .iter()
        .enumerate()
        .map(|(i, schema)| Previous {
            schema,
            version: Some(i as i32 + 1),
        })
        .collect();
    let expected: Value = serde_json::from_str(&read(&dir.join("expected.json"))).unwrap();
    let mut problems = Vec::new();
    for level in CompatibilityLevel::ALL {
        let report = check(level, &new, &history, Policy::Strict);
        let mut got: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{} {}", f.change.kind.id(), f.change.path))
            .collect();
        let mut want: Vec<String> = serde_json::from_value(expected[level.as_str()].clone())
            .unwrap_or_else(|_| panic!("{}: expected.json lacks {level}", dir.display()));
        got.sort();
        want.sort();
        if got != want {
            problems.push(format!("{level}: got {got:?}, expected {want:?}"));
        }
        if report.is_compatible() != want.is_empty() {
            problems.push(format!(
                "{level}: verdict {} but changes {want:?}",
                report.is_compatible()
            ));
        }
        if let Some(messages) = expected["messages"].get(level.as_str()) {
            let want: Vec<String> = serde_json::from_value(messages.clone()).unwrap();
            if report.messages != want {
                problems.push(format!(
                    "{level} messages: got {:#?}, expected {want:#?}",
                    report.messages
                ));
            }
        }
    }
    problems
}

fn run_all(format: &str, ty: SchemaType, ext: &str) -> usize {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir(format))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let failures: BTreeMap<String, Vec<String>> = dirs
        .iter()
        .map(|d| {
            (
                d.file_name().unwrap().to_string_lossy().to_string(),
                run(d, ty, ext),
            )
        })
        .filter(|(_, problems)| !problems.is_empty())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{failures:#?}",
        failures.len(),
        dirs.len()
    );
    dirs.len()
}

#[test]
fn avro_golden_cases() {
    let count = run_all("avro", SchemaType::Avro, "avsc");
    assert!(count >= 60, "only {count} Avro cases");
}

#[test]
fn protobuf_golden_cases() {
    let count = run_all("protobuf", SchemaType::Protobuf, "proto");
    assert!(count >= 20, "only {count} Protobuf cases");
}

#[test]
fn json_golden_cases() {
    let count = run_all("json", SchemaType::Json, "json");
    assert!(count >= 20, "only {count} JSON cases");
}
