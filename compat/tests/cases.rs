//! Golden compatibility cases: `tests/cases/<format>/<case>/` holds `old.<ext>` (or `old1`,
//! `old2`, … for a history, oldest first), `new.<ext>`, optional `deps/<reference name>.<ext>`
//! and `expected.json`: for each of the seven levels, the incompatible changes as
//! `"RULE_ID path"` (empty = compatible), and optionally the exact messages for some levels.
//! Every failing case is reported by name.

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
fn run(dir: &Path, ty: SchemaType, ext: &str) -> Vec<String> {
    let mut deps: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("deps")) {
        for e in entries {
            let path = e.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            deps.push((name, read(&path)));
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
        let got: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{} {}", f.change.kind.id(), f.change.path))
            .collect();
        let want: Vec<String> = serde_json::from_value(expected[level.as_str()].clone())
            .unwrap_or_else(|_| panic!("{}: expected.json lacks {level}", dir.display()));
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
