//! The fuzz targets' entry points (`fuzz/`) on stable: every golden and vector schema, mutated
//! thousands of ways (bytes flipped, cut, duplicated, nested deeper), parsed and diffed against
//! its original. Any panic, stack overflow or endless loop fails the test; errors are fine.

use std::path::Path;

use schemata_compat::{parse, ParseOptions, SchemaType};

/// A small deterministic generator (xorshift): the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: [&str; 14] = [
    "{", "}", "[", "]", ",", ":", "\"", "$ref", "\"#\"", "allOf", "message", ";", "=", "\\",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = rng.next() as u8;
            }
            1 => bytes.truncate(at),
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            3 => {
                let end = (at + rng.below(64)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                bytes.splice(at..at, piece);
            }
            _ => {
                let end = (at + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn schemas(dir: &Path, ext: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            schemas(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext)
            && path.file_name().unwrap() != "expected.json"
        {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

fn survive(ty: SchemaType, folder: &str, ext: &str, rounds: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut seeds = Vec::new();
    schemas(&dir.join(folder), ext, &mut seeds);
    assert!(!seeds.is_empty());
    let options = ParseOptions {
        normalize: false,
        validate: true,
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed_mutants = 0;
    for seed in &seeds {
        let original = parse(ty, seed, &[], options).ok();
        for _ in 0..rounds {
            let text = mutate(&mut rng, seed);
            let Ok(mutant) = parse(ty, &text, &[], options) else {
                continue;
            };
            parsed_mutants += 1;
            let _ = parse(
                ty,
                &text,
                &[],
                ParseOptions {
                    normalize: true,
                    validate: true,
                },
            );
            if let Some(original) = &original {
                let _ = mutant.changes_reading(original);
                let _ = original.changes_reading(&mutant);
            }
        }
    }
    // The mutations must not all be rejected outright, or the diff is never exercised.
    assert!(
        parsed_mutants > seeds.len(),
        "only {parsed_mutants} mutants parsed"
    );
}

#[test]
fn json_schema_parser_and_diff_survive_mutated_input() {
    survive(SchemaType::Json, "json", "json", 300);
}

#[test]
fn protobuf_parser_and_diff_survive_mutated_input() {
    survive(SchemaType::Protobuf, "protobuf", "proto", 100);
}

#[test]
fn absurd_nesting_is_an_error_not_a_stack_overflow() {
    let deep_json = format!("{}{}", "{\"items\":".repeat(10_000), "}".repeat(10_000));
    assert!(parse(SchemaType::Json, &deep_json, &[], ParseOptions::default()).is_err());
    // Within the JSON parser's nesting limit, beyond the model's.
    let deep_items = format!("{}{{}}{}", "{\"items\":".repeat(100), "}".repeat(100));
    let err = parse(SchemaType::Json, &deep_items, &[], ParseOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("nested deeper than 64 levels"),
        "{err}"
    );
    let deep_proto = format!(
        "syntax = \"proto3\";\n{}{}",
        "message M { ".repeat(2_000),
        "}".repeat(2_000)
    );
    assert!(parse(
        SchemaType::Protobuf,
        &deep_proto,
        &[],
        ParseOptions::default()
    )
    .is_err());
}

/// Nested anyOfs of four members each, six deep: a naive pairwise matching compares 16^6 pairs.
fn nested_any_of(depth: usize, title: &mut impl FnMut() -> String) -> serde_json::Value {
    if depth == 0 {
        return serde_json::json!({"type": "string", "title": title()});
    }
    let members: Vec<_> = (0..4).map(|_| nested_any_of(depth - 1, title)).collect();
    serde_json::json!({"anyOf": members, "title": title()})
}

#[test]
fn combinations_built_to_explode_the_matching_finish() {
    let parse_json = |v: &serde_json::Value| {
        parse(
            SchemaType::Json,
            &v.to_string(),
            &[],
            ParseOptions::default(),
        )
        .unwrap()
    };
    // Repeated subschemas: each distinct pair is compared once.
    let mut same = || "t".to_string();
    let a = parse_json(&nested_any_of(6, &mut same));
    let b = parse_json(&nested_any_of(6, &mut same));
    assert_eq!(b.changes_reading(&a).unwrap(), Vec::new());
    // All distinct: the comparison budget runs out and the change is refused, not hung on.
    let mut n = 0;
    let mut distinct = || {
        n += 1;
        format!("t{n}")
    };
    let a = parse_json(&nested_any_of(6, &mut distinct));
    let b = parse_json(&nested_any_of(6, &mut distinct));
    let changes = b.changes_reading(&a).unwrap();
    assert!(changes
        .iter()
        .any(|c| !c.kind.is_compatible(schemata_compat::Policy::Strict)));
}
