#!/usr/bin/env bash
# One start of a server on an existing log directory: seconds from exec until it answers
# `GET /schemas/ids/1`, its RSS 3 s later and its peak RSS; then it is stopped.
# Usage: bench/start.sh DIR [BIN] [PORT]   (BIN: default target/release/schemata)
set -euo pipefail
DIR=$1
BIN=${2:-target/release/schemata}
PORT=${3:-18195}
start=$(date +%s.%N)
NO_COLOR=1 "$BIN" serve --listen "127.0.0.1:$PORT" --storage "file://$DIR" >"$DIR.out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/schemas/ids/1"; do sleep 0.01; done
secs=$(echo "$(date +%s.%N) - $start" | bc)
sleep 3
mb() { awk -v k="$1:" '$1 == k {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
echo "ready ${secs}s RSS $(mb VmRSS) MB peak $(mb VmHWM) MB ($(grep -o 'loaded .*' "$DIR.out" | tail -1))"
