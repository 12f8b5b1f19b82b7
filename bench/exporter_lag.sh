#!/usr/bin/env bash
# The exporter's lag under a steady stream of registrations: a source and a destination
# registry (release build, embedded logs), the destination in IMPORT mode, one exporter of
# every subject from source to destination; then bench/exporter_lag.py registers RATE new
# schemas per second for SECONDS on the source and measures how long each takes to be readable,
# with its id, on the destination.
# PRELOAD=N first fills the source with N schemas of examples/gen_log's shape and waits until
# the exporter has copied them; the source's CPU time during the timed stream is then printed
# (what each write costs the exporter of a large registry).
# Usage: bench/exporter_lag.sh [RATE] [SECONDS]      (BIN=path to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-100}"
SECONDS_="${2:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# BIN: a build to measure; the default is this checkout's, built here (with gen_log, which
# PRELOAD takes from CARGO_TARGET_DIR either way).
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin schemata --example gen_log
  BIN=$CARGO_TARGET_DIR/release/schemata
fi
PRELOAD="${PRELOAD:-0}"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
SRC=127.0.0.1:18181
DST=127.0.0.1:18182
if [ "$PRELOAD" -gt 0 ]; then
  "$CARGO_TARGET_DIR/release/examples/gen_log" "$WORK/source" "$PRELOAD" >/dev/null
fi
$BIN serve --listen $SRC --storage "file://$WORK/source" >"$WORK/source.log" 2>&1 & PIDS+=($!)
SRC_PID=$!
$BIN serve --listen $DST --storage "file://$WORK/destination" >"$WORK/destination.log" 2>&1 & PIDS+=($!)
for url in "http://$SRC" "http://$DST"; do
  for _ in $(seq 1 100); do curl -sf "$url/health/ready" >/dev/null && break; sleep 0.1; done
done
CT='Content-Type: application/vnd.schemaregistry.v1+json'
curl -sf -X PUT -H "$CT" -d '{"mode":"IMPORT"}' "http://$DST/mode" >/dev/null
curl -sf -X POST -H "$CT" "http://$SRC/exporters" -d "{\"name\":\"lag\",\"subjects\":[\"*\"],\"contextType\":\"NONE\",\"config\":{\"schema.registry.url\":\"http://$DST\"}}" >/dev/null
if [ "$PRELOAD" -gt 0 ]; then
  began=$(date +%s)
  until curl -sf "http://$SRC/exporters/lag/status" | grep -q "\"offset\":$PRELOAD,"; do sleep 1; done
  echo "the exporter copied the $PRELOAD preloaded schemas in $(( $(date +%s) - began )) s"
fi
cpu() { awk '{print $14 + $15}' "/proc/$SRC_PID/stat"; }  # user + system, in clock ticks
before=$(cpu)
python3 bench/exporter_lag.py "http://$SRC" "http://$DST" "$RATE" "$SECONDS_"
echo "source CPU during the stream: $(( ($(cpu) - before) * 1000 / $(getconf CLK_TCK) )) ms"
curl -sf "http://$SRC/exporters/lag/status"; echo
