//! Avro's Parsing Canonical Form and Rabin fingerprints against apache/avro's
//! `share/test/data/schema-tests.txt` (all 34 cases), read from `../shared/compat-vectors`.

use std::path::PathBuf;

use schemata_compat::{parse, ParseOptions, Schema, SchemaType};

struct Case {
    number: String,
    input: String,
    canonical: String,
    fingerprint: Option<i64>,
}

fn cases() -> Option<Vec<Case>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/compat-vectors/avro/schema-tests.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} not found", path.display());
        return None;
    };
    let mut cases = Vec::new();
    let mut lines = text.lines().filter(|l| !l.starts_with('#')).peekable();
    let mut current: Option<Case> = None;
    while let Some(line) = lines.next() {
        if let Some(n) = line
            .strip_prefix("// ")
            .filter(|n| n.len() == 3 && n.chars().all(|c| c.is_ascii_digit()))
        {
            cases.extend(current.take());
            current = Some(Case {
                number: n.into(),
                input: String::new(),
                canonical: String::new(),
                fingerprint: None,
            });
        } else if let Some(case) = current.as_mut() {
            if line == "<<INPUT" {
                // A here-document up to a line `INPUT`.
                for l in lines.by_ref() {
                    if l == "INPUT" {
                        break;
                    }
                    case.input.push_str(l);
                    case.input.push('\n');
                }
            } else if let Some(i) = line.strip_prefix("<<INPUT ") {
                case.input = i.to_string();
            } else if let Some(c) = line.strip_prefix("<<canonical ") {
                case.canonical = c.to_string();
            } else if let Some(f) = line.strip_prefix("<<fingerprint ") {
                case.fingerprint = Some(f.parse().unwrap());
            }
        }
    }
    cases.extend(current);
    Some(cases)
}

#[test]
fn every_parsing_canonical_form_and_fingerprint_matches() {
    let Some(cases) = cases() else { return };
    assert_eq!(cases.len(), 34);
    assert_eq!(cases.iter().filter(|c| c.fingerprint.is_some()).count(), 26);
    let mut failures = Vec::new();
    for case in &cases {
        let schema = match parse(SchemaType::Avro, &case.input, &[], ParseOptions::default()) {
            Ok(Schema::Avro(s)) => s,
            other => {
                failures.push(format!("{}: {other:?}", case.number));
                continue;
            }
        };
        let pcf = schema.parsing_canonical_form();
        if pcf != case.canonical {
            failures.push(format!("{}: {pcf} != {}", case.number, case.canonical));
        }
        if let Some(expected) = case.fingerprint {
            let fp = schema.fingerprint() as i64;
            if fp != expected {
                failures.push(format!("{}: fingerprint {fp} != {expected}", case.number));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
