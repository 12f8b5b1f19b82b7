//! Compacts a Schemata log and says how long it took and how much memory the process peaked
//! at, for the compaction benchmark in `bench/memory.sh`:
//! `cargo run --release --example compact_log -- DIR`.

use schemata::storage::log::LogStore;
use schemata::storage::Store;

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("usage: compact_log DIR");
    let store = LogStore::open(&dir).expect("log opens");
    // What the registry would hold is not the point here: let the replayed records go.
    drop(store.load().await.expect("log loads"));
    // Resets the peak to what is resident now (Linux's clear_refs), so that the next reading is
    // the compaction's own peak, not the open's (which reads the whole file).
    std::fs::write("/proc/self/clear_refs", "5").expect("procfs");
    let before = peak_mb();
    let started = std::time::Instant::now();
    store.compact().await.expect("compaction");
    println!(
        "compaction: {:.2} s; RSS {before} MB before it, peak {} MB during it",
        started.elapsed().as_secs_f64(),
        peak_mb()
    );
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
