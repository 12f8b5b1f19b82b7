//! Writes a Schemata log holding COUNT distinct Avro schemas, each under its own subject, for
//! the cold-start and memory benchmarks: `cargo run --release --example gen_log -- DIR COUNT`.

use schemata::storage::log::LogStore;
use schemata::storage::{Record, SchemaValue, Store};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: gen_log DIR COUNT");
    let count: u32 = args
        .next()
        .expect("usage: gen_log DIR COUNT")
        .parse()
        .expect("COUNT is a number");
    let store = LogStore::open(&dir).expect("log opens");
    for start in (1..=count).step_by(1000) {
        let records = (start..(start + 1000).min(count + 1)).map(record).collect();
        let txn = store.begin().await.expect("begin");
        txn.commit(records, Box::new(|_| {})).await.expect("commit");
    }
}

fn record(id: u32) -> Record {
    let subject = format!("topic-{id}-value");
    let schema = format!(
        concat!(
            r#"{{"type":"record","name":"Event{id}","namespace":"com.example.events","fields":["#,
            r#"{{"name":"id","type":"long"}},{{"name":"name","type":"string"}},"#,
            r#"{{"name":"amount","type":"double","default":0.0}},"#,
            r#"{{"name":"tags","type":{{"type":"array","items":"string"}},"default":[]}},"#,
            r#"{{"name":"note","type":["null","string"],"default":null}}]}}"#
        ),
        id = id
    );
    Record::Schema {
        subject: subject.clone(),
        version: 1,
        value: Some(SchemaValue {
            subject,
            version: 1,
            id,
            schema_type: "AVRO".into(),
            references: vec![],
            schema,
            metadata: None,
            rule_set: None,
            deleted: false,
            ts: Some(0),
        }),
    }
}
