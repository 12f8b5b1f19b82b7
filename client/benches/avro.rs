//! Avro serialization through the client with a warm cache, against raw apache-avro encoding of
//! the same value with a writer and reader built once (the floor: what any Avro producer pays).
//! The registry is a real Schemata, in-process; after the first message no request reaches it.
//! Run: `cargo bench -p schemata-client --bench avro`.

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use schemata_client::{
    apache_avro, AvroDeserializer, AvroSerializer, Client, Schema, SchemaType, SerializerConfig,
};
use serde::{Deserialize, Serialize};

/// Messages per measured iteration.
const BATCH: u64 = 100;

const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"bench","fields":[
  {"name":"id","type":"long"},{"name":"customer","type":"string"},{"name":"item","type":"string"},
  {"name":"quantity","type":"int"},{"name":"price","type":"double"},{"name":"paid","type":"boolean"},
  {"name":"note","type":["null","string"],"default":null},{"name":"created","type":"long"},
  {"name":"region","type":"string"},{"name":"priority","type":"int"}]}"#;

#[derive(Serialize, Deserialize, Clone)]
struct Order {
    id: i64,
    customer: String,
    item: String,
    quantity: i32,
    price: f64,
    paid: bool,
    note: Option<String>,
    created: i64,
    region: String,
    priority: i32,
}

fn order() -> Order {
    Order {
        id: 123_456_789,
        customer: "customer-4711".into(),
        item: "a pot of tea".into(),
        quantity: 3,
        price: 12.5,
        paid: true,
        note: Some("leave at the door".into()),
        created: 1_764_000_000_000,
        region: "eu-west".into(),
        priority: 2,
    }
}

fn benches(c: &mut Criterion) {
    // The client on the measuring thread, as a producer calls it; the registry on its own.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = start_registry();
    let client = Client::from_url(url).unwrap();
    let serializer = AvroSerializer::new(
        client.clone(),
        Some(Schema::new(SchemaType::Avro, SCHEMA)),
        SerializerConfig::default(),
    )
    .unwrap();
    let deserializer = AvroDeserializer::new(client, None).unwrap();
    let schema = apache_avro::Schema::parse_str(SCHEMA).unwrap();
    let order = order();
    let value: Value = apache_avro::to_value(&order)
        .unwrap()
        .resolve(&schema)
        .unwrap();
    // Warm the caches: register once, resolve the id once.
    let framed = rt.block_on(serializer.serialize("orders", &order)).unwrap();
    rt.block_on(deserializer.deserialize_value(&framed))
        .unwrap();
    // The raw baseline: apache-avro's own writer and reader, built once for the schema.
    let writer = GenericDatumWriter::builder(&schema).build().unwrap();
    let reader = GenericDatumReader::builder(&schema).build().unwrap();
    let raw = writer.write_value_to_vec(value.clone()).unwrap();
    assert_eq!(framed[5..], raw[..]);

    // A producer awaits inside its task: each iteration is a batch of messages in one task, so
    // the cost of entering the runtime is shared as it is in a real producer loop.
    let mut g = c.benchmark_group("avro_serialize_value");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function("raw_apache_avro", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box(writer.write_value_to_vec(value.clone()).unwrap());
            }
        })
    });
    g.bench_function("schemata_client", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    black_box(
                        serializer
                            .serialize_value("orders", value.clone())
                            .await
                            .unwrap(),
                    );
                }
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("avro_serialize_serde");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function("raw_apache_avro", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box({
                    let mut out = Vec::with_capacity(64);
                    writer.write_ser(&mut out, &order).unwrap();
                    out
                });
            }
        })
    });
    // The same, with a buffer sized for the payload up front, as the client sizes its own from
    // earlier frames: the floor for this path.
    g.bench_function("raw_apache_avro_sized_buffer", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box({
                    let mut out = Vec::with_capacity(raw.len());
                    writer.write_ser(&mut out, &order).unwrap();
                    out
                });
            }
        })
    });
    g.bench_function("schemata_client", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    black_box(serializer.serialize("orders", &order).await.unwrap());
                }
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("avro_deserialize_value");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function("raw_apache_avro", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box(reader.read_value(&mut &raw[..]).unwrap());
            }
        })
    });
    g.bench_function("schemata_client", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    black_box(deserializer.deserialize_value(&framed).await.unwrap());
                }
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("avro_deserialize_serde");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function("raw_apache_avro", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                black_box(reader.read_deser::<Order>(&mut &raw[..]).unwrap());
            }
        })
    });
    g.bench_function("schemata_client", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    black_box(deserializer.deserialize::<Order>(&framed).await.unwrap());
                }
            })
        })
    });
    g.finish();
}

/// A Schemata on its own thread and runtime; its URL.
fn start_registry() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let dir = tempfile::TempDir::new().unwrap();
            let storage = format!("file://{}", dir.path().display());
            tx.send(
                schemata::app::spawn_local(&schemata::app::Options::new(&storage))
                    .await
                    .unwrap(),
            )
            .unwrap();
            // Serve until the process ends.
            std::future::pending::<()>().await
        })
    });
    rx.recv().unwrap()
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
