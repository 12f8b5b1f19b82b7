#!/usr/bin/env bash
# Kafka beside the embedded log: new registrations/s with 32 clients, lookups/s (GET
# /schemas/ids/{id}, from memory on both), how fast a write on one node is readable on another
# node of the same topic, and the cold start of a node on a 100,000-record topic.
# Usage: KAFKA_BOOTSTRAP=$(scripts/kafka.sh) bench/kafka.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
DURATION="${1:-10}"
BOOTSTRAP="${KAFKA_BOOTSTRAP:?set KAFKA_BOOTSTRAP (scripts/kafka.sh prints it)}"
TOPIC="schemata_bench_$$_$(date +%s)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# BIN: a build to measure (an older commit, say); the default is this checkout, built here.
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN="$CARGO_TARGET_DIR/release/schemata"
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start() { # storage url, port, log, further options
  RUST_LOG=info NO_COLOR=1 "$BIN" serve --listen "127.0.0.1:$2" --storage "$1" "${@:4}" >"$3" 2>&1 &
  PIDS+=($!)
  # -s: the log file may not exist yet when the first check runs.
  until grep -qs "schemata ready" "$3"; do sleep 0.05; done
}
rps() { wrk -t2 -c32 -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }

start "file://$WORK/log" 18281 "$WORK/log.out"
start "kafka://$BOOTSTRAP/$TOPIC" 18282 "$WORK/kafka-a.out"
for port in 18281 18282; do
  curl -sf -XPOST "localhost:$port/subjects/probe/versions" -H 'Content-Type: application/json' \
    -d '{"schema":"\"string\""}' >/dev/null
done
echo "== 2 cores; wrk -t2 -c32 -d${DURATION}s; one Kafka broker on this machine"
echo "new registrations  log $(rps -s bench/new_schema.lua http://127.0.0.1:18281) req/s   kafka $(rps -s bench/new_schema.lua http://127.0.0.1:18282) req/s"
echo "GET /schemas/ids/1 log $(rps http://127.0.0.1:18281/schemas/ids/1) req/s   kafka $(rps http://127.0.0.1:18282/schemas/ids/1) req/s"
start "kafka://$BOOTSTRAP/$TOPIC" 18283 "$WORK/kafka-b.out"
# A schema registered on node A, then node B polled (one kept-alive connection each) until it
# answers: the delay, 300 times.
python3 - <<'PY'
import http.client, json, os, statistics, time
a = http.client.HTTPConnection("127.0.0.1", 18282)
b = http.client.HTTPConnection("127.0.0.1", 18283)
tag, delays = os.getpid(), []
for i in range(300):
    subject = f"visibility-{tag}-{i}"
    body = json.dumps({"schema": json.dumps({"type": "record", "name": f"V{tag}x{i}", "fields": []})})
    a.request("POST", f"/subjects/{subject}/versions", body, {"Content-Type": "application/json"})
    reply = a.getresponse()
    assert reply.status == 200, reply.read()
    reply.read()
    written = time.perf_counter()
    while True:
        b.request("GET", f"/subjects/{subject}/versions/1")
        seen = b.getresponse()
        seen.read()
        if seen.status == 200:
            break
    delays.append((time.perf_counter() - written) * 1000)
delays.sort()
print(f"write on node A readable on node B: median {statistics.median(delays):.2f} ms, p99 {delays[int(len(delays) * 0.99) - 1]:.2f} ms, max {delays[-1]:.2f} ms ({len(delays)} schemas)")
PY

# Two nodes in the election of one writer (each with its advertised URL): new registrations
# sent to the elected node, then to the other one, which forwards each to the elected one.
ELECTED="${TOPIC}_elected"
start "kafka://$BOOTSTRAP/$ELECTED" 18285 "$WORK/elected-a.out" --advertised-url http://127.0.0.1:18285
curl -sf -XPOST "localhost:18285/subjects/probe/versions" -H 'Content-Type: application/json' \
  -d '{"schema":"\"string\""}' >/dev/null
start "kafka://$BOOTSTRAP/$ELECTED" 18286 "$WORK/elected-b.out" --advertised-url http://127.0.0.1:18286
until curl -sf -XPOST "localhost:18286/subjects/probe/versions" -H 'Content-Type: application/json' \
  -d '{"schema":"\"string\""}' >/dev/null; do sleep 0.2; done
echo "new registrations, two elected nodes: to the writer $(PREFIX=W rps -s bench/new_schema.lua http://127.0.0.1:18285) req/s   forwarded by the other $(PREFIX=F rps -s bench/new_schema.lua http://127.0.0.1:18286) req/s"

# Cold start: 100,000 registrations (each its own subject and schema) imported into a new topic,
# then the time from a node's start to its "ready" line, three times.
COLD="${TOPIC}_cold"
python3 - "$WORK/dump.txt" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(1, 100001):
        subject = f"cold-{i}-value"
        key = json.dumps({"keytype": "SCHEMA", "subject": subject, "version": 1, "magic": 1}, separators=(",", ":"))
        schema = json.dumps({"type": "record", "name": f"C{i}", "fields": [{"name": "id", "type": "long"}]}, separators=(",", ":"))
        value = json.dumps({"subject": subject, "version": 1, "id": i, "schemaType": "AVRO", "schema": schema, "deleted": False}, separators=(",", ":"))
        out.write(f"{key}\t{value}\n")
PY
"$BIN" import --storage "kafka://$BOOTSTRAP/$COLD" "$WORK/dump.txt" >/dev/null
for run in 1 2 3; do
  began=$(date +%s%N)
  start "kafka://$BOOTSTRAP/$COLD" 18284 "$WORK/cold-$run.out"
  ended=$(date +%s%N)
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
  echo "cold start, 100,000 records: $(( (ended - began) / 1000000 )) ms ($(grep -o 'loaded .* ms' "$WORK/cold-$run.out"))"
done
