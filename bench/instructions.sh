#!/usr/bin/env bash
# Instructions the server spends per request, under callgrind: repeatable where wall-clock
# numbers on a shared machine are not. Re-registers the body of a wrk script N and 2N times on
# one connection (two servers, each under valgrind) and prints the difference divided by N, so
# start-up and shutdown cancel out.
# Usage: bench/instructions.sh BIN [LUA, default bench/known_contract.lua] [N, default 2000]
# Needs valgrind (apt-get install valgrind) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$1"; LUA="${2:-bench/known_contract.lua}"; N="${3:-2000}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$LUA" | sed 's/\\\\/\\/g' >"$WORK/body"

# Total instructions of one server that answered $1 re-registrations.
instructions() {
  local out="$WORK/cg.$1"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$BIN" serve --listen 127.0.0.1:18091 --storage "file://$WORK/data.$1" >"$WORK/log.$1" 2>&1 &
  local pid=$!
  until curl -sf localhost:18091/ >/dev/null; do sleep 0.2; done
  python3 - "$1" "$WORK/body" <<'PY'
import http.client, sys
count, body = int(sys.argv[1]), open(sys.argv[2], "rb").read()
conn = http.client.HTTPConnection("127.0.0.1", 18091)
for _ in range(count):
    conn.request("POST", "/subjects/bench-value/versions", body,
                 {"Content-Type": "application/vnd.schemaregistry.v1+json"})
    reply = conn.getresponse()
    reply.read()
    assert reply.status == 200, reply.status
PY
  kill -INT "$pid"
  wait "$pid" || true
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

once=$(instructions "$N")
twice=$(instructions "$((2 * N))")
echo "$(basename "$LUA"): $(( (twice - once) / N )) instructions per request ($BIN)"
