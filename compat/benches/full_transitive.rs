//! FULL_TRANSITIVE of a 100-field record against its history of 250, 500 and 1,000 versions
//! (all compatible, so every version is checked both ways). Schemas are parsed once, outside
//! the measurement, as the registry keeps them parsed.
//! Run: `cargo bench -p schemata-compat --bench full_transitive`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use schemata_compat::{
    check, parse, CompatibilityLevel, ParseOptions, Policy, Previous, Schema, SchemaType,
};
use serde_json::json;

/// Version `v` of a 100-field record: the same fields, documented differently, so every
/// version is a distinct schema.
fn version(v: usize, extra: bool) -> Schema {
    let types = ["int", "long", "string", "double", "boolean"];
    let mut fields: Vec<_> = (0..100)
        .map(|i| json!({"name": format!("f{i}"), "type": types[i % types.len()], "doc": format!("v{v}")}))
        .collect();
    if extra {
        fields.push(json!({"name": "added", "type": ["null", "string"], "default": null}));
    }
    let text = json!({"type": "record", "name": "Wide", "namespace": "bench", "fields": fields})
        .to_string();
    parse(SchemaType::Avro, &text, &[], ParseOptions::default()).expect("valid schema")
}

fn full_transitive(c: &mut Criterion) {
    let new = version(0, true);
    let all: Vec<Schema> = (1..=1000).map(|v| version(v, false)).collect();
    let mut group = c.benchmark_group("full_transitive_100_fields");
    group.sample_size(20);
    for versions in [250, 500, 1000] {
        let history: Vec<Previous<'_>> = all[..versions]
            .iter()
            .enumerate()
            .map(|(i, schema)| Previous {
                schema,
                version: Some(i as i32 + 1),
            })
            .collect();
        group.bench_with_input(
            BenchmarkId::from_parameter(versions),
            &history,
            |b, history| {
                b.iter(|| {
                    let report = check(
                        CompatibilityLevel::FullTransitive,
                        &new,
                        history,
                        Policy::Strict,
                    );
                    assert!(report.is_compatible());
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, full_transitive);
criterion_main!(benches);
