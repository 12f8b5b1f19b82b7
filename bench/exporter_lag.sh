#!/usr/bin/env bash
# The exporter's lag under a steady stream of registrations: a source and a destination
# registry (release build, embedded logs), the destination in IMPORT mode, one exporter of
# every subject from source to destination; then bench/exporter_lag.py registers RATE new
# schemas per second for SECONDS on the source and measures how long each takes to be readable,
# with its id, on the destination.
# Usage: bench/exporter_lag.sh [RATE] [SECONDS]      (BIN=path to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-100}"
SECONDS_="${2:-20}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin schemata
  BIN=target/release/schemata
fi
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
SRC=127.0.0.1:18181
DST=127.0.0.1:18182
$BIN serve --listen $SRC --storage "file://$WORK/source" >"$WORK/source.log" 2>&1 & PIDS+=($!)
$BIN serve --listen $DST --storage "file://$WORK/destination" >"$WORK/destination.log" 2>&1 & PIDS+=($!)
for url in "http://$SRC" "http://$DST"; do
  for _ in $(seq 1 100); do curl -sf "$url/health/ready" >/dev/null && break; sleep 0.1; done
done
CT='Content-Type: application/vnd.schemaregistry.v1+json'
curl -sf -X PUT -H "$CT" -d '{"mode":"IMPORT"}' "http://$DST/mode" >/dev/null
curl -sf -X POST -H "$CT" "http://$SRC/exporters" -d "{\"name\":\"lag\",\"subjects\":[\"*\"],\"contextType\":\"NONE\",\"config\":{\"schema.registry.url\":\"http://$DST\"}}" >/dev/null
python3 bench/exporter_lag.py "http://$SRC" "http://$DST" "$RATE" "$SECONDS_"
curl -sf "http://$SRC/exporters/lag/status"; echo
