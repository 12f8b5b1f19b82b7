#!/usr/bin/env bash
# Memory and cold start at scale (issue 20): COUNT schemas of examples/gen_log's shape, one per
# subject, held by the embedded log.
#   1. written straight to a log by gen_log, then served: time from start to serving, and RSS,
#      first with no snapshot (the whole log replayed; the server then writes one), then
#      restarted from the snapshot;
#   2. compacted (every record live) while one writer commits record after record: its time,
#      peak memory, and the longest commit during it;
#   3. registered through the API by wrk (32 connections): RSS of that server, then of a restart
#      on the same log.
# Usage: [PORT=18190] bench/memory.sh [COUNT]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
COUNT="${1:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# BIN: another build to measure (an older commit, say); the default is this checkout's. The
# examples come from this checkout either way (built here unless NO_BUILD=1).
if [ -z "${NO_BUILD:-}" ]; then
  cargo build --release --quiet
  cargo build --release --quiet --example gen_log --example compact_log
fi
BIN="${BIN:-$CARGO_TARGET_DIR/release/schemata}"
# PORT: where the servers listen, so that two runs (two helpers) do not meet.
PORT="${PORT:-18190}"
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# RSS once the start's leftovers are gone (the log's index is built, and its read buffer freed,
# on a thread of its own that may still run when the server starts serving; jemalloc gives
# freed pages back after about 10 s).
settled_mb() { sleep 12; rss_mb "$1"; }
# Starts a server on log directory $1 and waits until it serves; sets PID, and SECS to the
# seconds from exec to serving.
serve() {
  local start=$(date +%s.%N)
  NO_COLOR=1 "$BIN" serve --listen 127.0.0.1:$PORT --storage "file://$1" >"$WORK/serve.out" 2>&1 &
  PID=$!
  until curl -sf -o /dev/null http://127.0.0.1:$PORT/schemas/ids/1 2>/dev/null \
    || curl -sf -o /dev/null http://127.0.0.1:$PORT/subjects?subjectPrefix=none; do sleep 0.01; done
  SECS=$(echo "$(date +%s.%N) - $start" | bc)
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

"$CARGO_TARGET_DIR/release/examples/gen_log" "$WORK/generated" "$COUNT"
echo "== $COUNT schemas; log $(du -m "$WORK/generated" | cut -f1) MB"
serve "$WORK/generated"
echo "written by gen_log, then served:  ready in ${SECS} s, RSS $(settled_mb "$PID") MB (no snapshot)"
# The server writes a snapshot once it serves, when the log is past the size that calls for
# one (32 MiB: about 55,000 schemas of this shape); below it there is none to restart from.
if [ "$(stat -c %s "$WORK/generated/schemas.log")" -ge $((32 * 1024 * 1024)) ]; then
  until grep -q "wrote a snapshot" "$WORK/serve.out"; do sleep 0.1; done
  grep -o "wrote a snapshot.*" "$WORK/serve.out"
  stop
  echo "  snapshot $(du -m "$WORK/generated/schemas.snapshot" | cut -f1) MB"
  serve "$WORK/generated"
  echo "  restarted from the snapshot:    ready in ${SECS} s, RSS $(settled_mb "$PID") MB"
  grep -o "loaded .*" "$WORK/serve.out"
fi
stop
# Every record is live: compaction rewrites them all, while a writer keeps committing.
"$CARGO_TARGET_DIR/release/examples/compact_log" "$WORK/generated"

mkdir "$WORK/api"
serve "$WORK/api"
begun=$(date +%s)
held() { curl -sf http://127.0.0.1:$PORT/metrics | awk '$1 == "schemata_schemas{deleted=\"false\"}" {print $2}'; }
# wrk does not always end once every schema is registered (a thread can stop with its last
# request unanswered, and its other connections go on waiting): it is stopped once all but
# one are there, or after the bound (at least 100 registrations a second).
COUNT="$COUNT" THREADS=2 timeout $((COUNT / 100 + 60)) \
  wrk -t2 -c32 -d1h -s bench/register_count.lua http://127.0.0.1:$PORT >/dev/null &
WRK=$!
while kill -0 "$WRK" 2>/dev/null; do
  now=$(held || true)
  [ "${now:-0}" -ge $((COUNT - 1)) ] && break
  sleep 1
done
kill "$WRK" 2>/dev/null || true
wait "$WRK" 2>/dev/null || true
took=$(( $(date +%s) - begun ))
held=$(held)
echo "registered through the API:       ${held:-?} schemas in ${took} s, RSS $(settled_mb "$PID") MB"
stop
serve "$WORK/api"
echo "  the same log, restarted:        ready in ${SECS} s, RSS $(settled_mb "$PID") MB"
stop
