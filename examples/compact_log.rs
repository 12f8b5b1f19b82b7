//! Compacts a Schemata log while writing to it, and says how long the compaction took, how much
//! memory the process peaked at, and how long writes waited meanwhile, for the compaction
//! benchmark in `bench/memory.sh`: `cargo run --release --example compact_log -- DIR`.
//!
//! One writer commits one small record after another (each waits for its fsync), before and
//! during the compaction: the longest commit during it, against the longest before it, is the
//! pause compaction causes to writes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schemata::storage::log::LogStore;
use schemata::storage::{ConfigValue, Record, Store};

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("usage: compact_log DIR");
    // The log's own account of the compaction: its time, and how long writes waited for it.
    tracing_subscriber::fmt().with_ansi(false).init();
    let store = Arc::new(LogStore::open(&dir).expect("log opens"));
    // What the registry would hold is not the point here: let the replayed records (or the
    // snapshot and the records after it) go.
    drop(store.load_snapshot().await.expect("log loads"));
    // A second of writes first: the longest of them is the pause without compaction, and the
    // first waits for the log's index (built on its own thread, reading the file again).
    let second = Instant::now() + Duration::from_secs(1);
    let (quiet, _) = write_until(&store, || Instant::now() >= second).await;
    // Resets the peak to what is resident now (Linux's clear_refs), so that the next reading is
    // the compaction's own peak, not the open's.
    std::fs::write("/proc/self/clear_refs", "5").expect("procfs");
    let before = peak_mb();
    let started = Instant::now();
    let compacted = Arc::new(AtomicBool::new(false));
    let compaction = {
        let (store, compacted) = (store.clone(), compacted.clone());
        tokio::spawn(async move {
            store.compact().await.expect("compaction");
            compacted.store(true, Ordering::SeqCst);
        })
    };
    let (during, writes) = write_until(&store, || compacted.load(Ordering::SeqCst)).await;
    compaction.await.expect("compaction task");
    println!(
        "compaction: {:.2} s; RSS {before} MB before it, peak {} MB during it; \
         {writes} writes during it, the longest {:.1} ms (the longest in a second before it: \
         {:.1} ms)",
        started.elapsed().as_secs_f64(),
        peak_mb(),
        during.as_secs_f64() * 1000.0,
        quiet.as_secs_f64() * 1000.0
    );
}

/// Commits one small record after another until `done` says so; returns the longest commit
/// (from its start to its fsync) and how many there were.
async fn write_until(store: &LogStore, done: impl Fn() -> bool) -> (Duration, u64) {
    let (mut longest, mut count) = (Duration::ZERO, 0);
    while !done() {
        let record = Record::Config {
            subject: Some(format!("bench-{}", count % 100)),
            value: Some(ConfigValue::default()),
        };
        let begun = Instant::now();
        let txn = store.begin().await.expect("begin");
        txn.commit(vec![record], Box::new(|_| {}))
            .await
            .expect("commit");
        longest = longest.max(begun.elapsed());
        count += 1;
    }
    (longest, count)
}

/// The process's peak resident set (VmHWM), in MB.
fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("procfs")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}
