#!/usr/bin/env bash
# Moving schemas at scale: a 100,000-record dump (100,000 distinct Avro schemas, each under its
# own subject, written by examples/gen_log.rs and exported) imported into the embedded log and,
# when DATABASE_URL is set, into a new PostgreSQL database; then exported again. Prints the time
# and records per second of each step (best of three runs), and checks the exports are equal.
# Usage: bench/import.sh [COUNT]     (DATABASE_URL=postgres://... for PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"
cargo build --release --quiet --bin schemata --example gen_log
BIN=target/release/schemata
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

target/release/examples/gen_log "$WORK/source" "$COUNT"
$BIN export --storage "file://$WORK/source" > "$WORK/dump" 2>/dev/null
RECORDS=$(wc -l < "$WORK/dump")
echo "dump: $RECORDS records, $(du -h "$WORK/dump" | cut -f1)"

# Seconds a command takes (best of three), the target emptied before each run by $2.
best_of_three() {
  local best=""
  for _ in 1 2 3; do
    eval "$2"
    local start end took
    start=$(date +%s.%N)
    eval "$1" > /dev/null 2>&1
    end=$(date +%s.%N)
    took=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$took < $best" | bc)" = 1 ]; then best=$took; fi
  done
  echo "$best"
}

report() { printf '%-28s %8.2f s  %10.0f records/s\n' "$1" "$2" "$(echo "$RECORDS / $2" | bc -l)"; }

T=$(best_of_three "$BIN import --storage file://$WORK/log $WORK/dump" "rm -rf $WORK/log")
report "import into the log" "$T"
T=$(best_of_three "$BIN export --storage file://$WORK/log" ":")
report "export from the log" "$T"
$BIN export --storage "file://$WORK/log" 2>/dev/null | cmp - "$WORK/dump" && echo "log: export equals the dump"

if [ -n "${DATABASE_URL:-}" ]; then
  DB="schemata_bench_import_$$"
  PGURL="${DATABASE_URL%/*}/$DB"
  T=$(best_of_three "$BIN import --storage $PGURL $WORK/dump" \
      "psql -q '$DATABASE_URL' -c 'DROP DATABASE IF EXISTS $DB' -c 'CREATE DATABASE $DB'")
  report "import into PostgreSQL" "$T"
  T=$(best_of_three "$BIN export --storage $PGURL" ":")
  report "export from PostgreSQL" "$T"
  $BIN export --storage "$PGURL" 2>/dev/null | cmp - "$WORK/dump" && echo "PostgreSQL: export equals the dump"
  psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB"
fi
