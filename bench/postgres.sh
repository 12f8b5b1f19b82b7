#!/usr/bin/env bash
# PostgreSQL beside the embedded log: new registrations/s, lookups/s (GET /schemas/ids/{id},
# from memory on both), and how fast a write on one node is readable on another.
# Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/postgres.sh [seconds]
#   BIN=/path/to/schemata NO_BUILD=1 ... measures another build without building this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
DURATION="${1:-10}"
ADMIN="${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (any database on it)}"
DB=schemata_bench_$$
PGURL="${ADMIN%/*}/$DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --example visibility
# BIN: another build to measure (an older commit, say); the default is this checkout.
BIN="${BIN:-$CARGO_TARGET_DIR/release/schemata}"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql "$ADMIN" -qc "CREATE DATABASE $DB"

start() { # storage url, port, log
  RUST_LOG=info NO_COLOR=1 "$BIN" serve --listen "127.0.0.1:$2" --storage "$1" >"$3" 2>&1 &
  PIDS+=($!)
  until grep -q "schemata ready" "$3"; do sleep 0.05; done
}
rps() { wrk -t2 -c32 -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
# 32 connections split over both PostgreSQL nodes at once; prints the sum of their rates.
both_nodes() {
  PREFIX=A wrk -t1 -c16 -d"${DURATION}s" -s bench/new_schema.lua http://127.0.0.1:18182 >"$WORK/a.wrk" &
  local first=$!
  PREFIX=B wrk -t1 -c16 -d"${DURATION}s" -s bench/new_schema.lua http://127.0.0.1:18183 >"$WORK/b.wrk"
  wait "$first"
  awk '/Requests\/sec/ {sum += $2} END {printf "%.2f", sum}' "$WORK/a.wrk" "$WORK/b.wrk"
}

start "file://$WORK/log" 18181 "$WORK/log.out"
start "$PGURL" 18182 "$WORK/pg-a.out"
start "$PGURL" 18183 "$WORK/pg-b.out"
for port in 18181 18182 18183; do
  curl -sf -XPOST "localhost:$port/subjects/probe/versions" -H 'Content-Type: application/json' \
    -d '{"schema":"\"string\""}' >/dev/null
done
echo "== 2 cores; wrk -t2 -c32 -d${DURATION}s"
echo "new registrations  log $(rps -s bench/new_schema.lua http://127.0.0.1:18181) req/s   postgres $(rps -s bench/new_schema.lua http://127.0.0.1:18182) req/s"
echo "new registrations  postgres, two nodes together (16 connections each) $(both_nodes) req/s"
echo "GET /schemas/ids/1 log $(rps http://127.0.0.1:18181/schemas/ids/1) req/s   postgres $(rps http://127.0.0.1:18182/schemas/ids/1) req/s"
"$CARGO_TARGET_DIR/release/examples/visibility" http://127.0.0.1:18182 http://127.0.0.1:18183 300
