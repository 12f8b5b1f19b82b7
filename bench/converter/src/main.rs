//! Messages per second through schemata-client and schema_registry_converter 6, same record,
//! same registry (Schemata, in-process), warm caches, one producer task; seven alternating
//! rounds, the median reported. Prints a Markdown table for bench/README.md.

use std::time::Instant;

use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::SubjectNameStrategy as TheirStrategy;
use schemata_client::{
    apache_avro, AvroDeserializer, AvroSerializer, Client, SchemaSelection, SerializerConfig,
};
use serde::{Deserialize, Serialize};

const MESSAGES: u32 = 1_000_000;
const ROUNDS: usize = 7;
const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"bench","fields":[{"name":"id","type":"long"},{"name":"customer","type":"string"},{"name":"item","type":"string"},{"name":"quantity","type":"int"},{"name":"price","type":"double"},{"name":"paid","type":"boolean"},{"name":"note","type":["null","string"],"default":null},{"name":"created","type":"long"},{"name":"region","type":"string"},{"name":"priority","type":"int"}]}"#;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
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

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = start_registry();
    let client = Client::from_url(&url).unwrap();
    client
        .register(
            "orders-value",
            &schemata_client::Schema::new(schemata_client::SchemaType::Avro, SCHEMA),
            false,
        )
        .await
        .unwrap();
    let order = Order {
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
    };
    let latest = SerializerConfig {
        selection: SchemaSelection::Latest,
        ..SerializerConfig::default()
    };
    let ours = AvroSerializer::new(client.clone(), None, latest).unwrap();
    let our_decoder = AvroDeserializer::new(client, None).unwrap();
    let theirs = AvroEncoder::new(SrSettings::new(url.clone()));
    let their_decoder = AvroDecoder::new(SrSettings::new(url));
    let strategy = TheirStrategy::TopicNameStrategy("orders".into(), false);
    let a = ours.serialize("orders", &order).await.unwrap();
    let b = theirs
        .encode_struct(order.clone(), &strategy)
        .await
        .unwrap();
    assert_eq!(a, b, "both frame the same bytes");

    // Theirs decodes to a value; a struct is one `from_value` further, as their users write it.
    let their_struct =
        |value: &apache_avro::types::Value| apache_avro::from_value::<Order>(value).unwrap();
    assert_eq!(
        our_decoder.deserialize::<Order>(&a).await.unwrap(),
        their_struct(&their_decoder.decode(Some(&a)).await.unwrap().value)
    );

    let (mut se_ours, mut se_theirs, mut de_ours, mut de_theirs) = (vec![], vec![], vec![], vec![]);
    let (mut ds_ours, mut ds_theirs) = (vec![], vec![]);
    let rate = |start: Instant| f64::from(MESSAGES) / start.elapsed().as_secs_f64();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..MESSAGES {
            ours.serialize("orders", &order).await.unwrap();
        }
        se_ours.push(rate(t));
        let t = Instant::now();
        for _ in 0..MESSAGES {
            theirs
                .encode_struct(order.clone(), &strategy)
                .await
                .unwrap();
        }
        se_theirs.push(rate(t));
        let t = Instant::now();
        for _ in 0..MESSAGES {
            our_decoder.deserialize_value(&a).await.unwrap();
        }
        de_ours.push(rate(t));
        let t = Instant::now();
        for _ in 0..MESSAGES {
            their_decoder.decode(Some(&a)).await.unwrap();
        }
        de_theirs.push(rate(t));
        let t = Instant::now();
        for _ in 0..MESSAGES {
            our_decoder.deserialize::<Order>(&a).await.unwrap();
        }
        ds_ours.push(rate(t));
        let t = Instant::now();
        for _ in 0..MESSAGES {
            their_struct(&their_decoder.decode(Some(&a)).await.unwrap().value);
        }
        ds_theirs.push(rate(t));
    }
    let (so, st, dou, dt) = (
        median(se_ours),
        median(se_theirs),
        median(de_ours),
        median(de_theirs),
    );
    println!("| | schemata-client | schema_registry_converter 6 | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| serialize (serde struct), msgs/s | {so:.0} | {st:.0} | {:.2}x |",
        so / st
    );
    println!(
        "| deserialize to Avro value, msgs/s | {dou:.0} | {dt:.0} | {:.2}x |",
        dou / dt
    );
    let (dso, dst) = (median(ds_ours), median(ds_theirs));
    println!(
        "| deserialize to serde struct, msgs/s | {dso:.0} | {dst:.0} | {:.2}x |",
        dso / dst
    );
}
