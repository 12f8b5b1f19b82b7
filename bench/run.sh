#!/usr/bin/env bash
# Load benchmark: Schemata's hot paths against a bare-axum baseline serving the same bodies on
# the same routes, measured in the same run, plus durable registrations/s, cold start and RSS.
# Usage: bench/run.sh [seconds per wrk run, default 10]. Needs wrk (apt-get install wrk).
# HOT_SCHEMAS=N: the hot paths are measured on a registry that first holds N schemas of
# gen_log's shape (issue 20: the ratios at a million), and the run ends after them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
DURATION="${1:-10}"
CONNS=32
THREADS=2
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

cargo build --release --quiet
cargo build --release --quiet --example gen_log
(cd bench/baseline && cargo build --release --quiet)
BIN=$CARGO_TARGET_DIR/release/schemata
BASE_BIN=$CARGO_TARGET_DIR/release/schemata-bench-baseline
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Starts schemata on $2 with data in $1 and any further options; waits until it is ready.
start_schemata() {
  local dir=$1 port=$2; shift 2
  RUST_LOG=info "$BIN" serve --listen "127.0.0.1:$port" --storage "file://$dir" "$@" >"$dir.log" 2>&1 &
  PIDS+=($!)
  SCHEMATA_PID=$!
  until grep -q "schemata ready" "$dir.log"; do sleep 0.05; done
}

rps() { wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }

echo "== machine: $(nproc) cores; wrk -t$THREADS -c$CONNS -d${DURATION}s"

# --- hot paths vs baseline -------------------------------------------------------------
if [ -n "${HOT_SCHEMAS:-}" ]; then
  "$CARGO_TARGET_DIR"/release/examples/gen_log "$WORK/hot" "$HOT_SCHEMAS"
fi
start_schemata "$WORK/hot" 18081
if [ -n "${HOT_SCHEMAS:-}" ]; then
  # A log past 32 MiB gets a snapshot once the server serves: not during the rounds.
  until [ ! -s "$WORK/hot/schemas.log" ] || [ "$(stat -c %s "$WORK/hot/schemas.log")" -lt $((32 << 20)) ] \
    || grep -q "wrote a snapshot" "$WORK/hot.log"; do sleep 0.1; done
  echo "hot paths on a registry of $HOT_SCHEMAS schemas (RSS $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$SCHEMATA_PID/status))"
fi
KNOWN=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" bench/known_schema.lua | sed 's/\\\\/\\/g')
curl -sf -XPOST localhost:18081/subjects/bench-value/versions \
  -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$KNOWN" >/dev/null
CONTRACT=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" bench/known_contract.lua | sed 's/\\\\/\\/g')
curl -sf -XPOST localhost:18081/subjects/bench-contract-value/versions \
  -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$CONTRACT" >/dev/null
ID_BODY=$(curl -sf localhost:18081/schemas/ids/1)
"$BASE_BIN" 127.0.0.1:18082 "$ID_BODY" & PIDS+=($!)
until curl -sf localhost:18082/schemas/ids/1 >/dev/null; do sleep 0.05; done

for round in 1 2 3; do
  B_GET+=("$(rps http://127.0.0.1:18082/schemas/ids/1)")
  S_GET+=("$(rps http://127.0.0.1:18081/schemas/ids/1)")
  B_POST+=("$(rps -s bench/known_schema.lua http://127.0.0.1:18082/subjects/bench-value/versions)")
  S_POST+=("$(rps -s bench/known_schema.lua http://127.0.0.1:18081/subjects/bench-value/versions)")
  B_CONTRACT+=("$(rps -s bench/known_contract.lua http://127.0.0.1:18082/subjects/bench-contract-value/versions)")
  S_CONTRACT+=("$(rps -s bench/known_contract.lua http://127.0.0.1:18081/subjects/bench-contract-value/versions)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
bg=$(median "${B_GET[@]}"); sg=$(median "${S_GET[@]}")
bp=$(median "${B_POST[@]}"); sp=$(median "${S_POST[@]}")
echo "GET /schemas/ids/1        baseline ${bg} req/s   schemata ${sg} req/s   ratio $(ratio "$sg" "$bg")   (rounds: ${S_GET[*]} vs ${B_GET[*]})"
echo "re-register known schema  baseline ${bp} req/s   schemata ${sp} req/s   ratio $(ratio "$sp" "$bp")   (rounds: ${S_POST[*]} vs ${B_POST[*]})"
bc=$(median "${B_CONTRACT[@]}"); sc=$(median "${S_CONTRACT[@]}")
echo "re-register with contract baseline ${bc} req/s   schemata ${sc} req/s   ratio $(ratio "$sc" "$bc")   (rounds: ${S_CONTRACT[*]} vs ${B_CONTRACT[*]})"
[ -z "${HOT_SCHEMAS:-}" ] || exit 0

# --- what metrics and the access log cost: the same build, the same data, options apart ------
# The default server above records metrics and writes no access log; one copy records nothing,
# another also logs every request (to a file, as under systemd or a container runtime).
kill "$SCHEMATA_PID"; wait "$SCHEMATA_PID" 2>/dev/null || true
cp -r "$WORK/hot" "$WORK/plain"; cp -r "$WORK/hot" "$WORK/logged"
start_schemata "$WORK/hot" 18081
start_schemata "$WORK/plain" 18086 --metrics false
start_schemata "$WORK/logged" 18087 --access-log true
for round in 1 2 3; do
  M_GET+=("$(rps http://127.0.0.1:18081/schemas/ids/1)")
  N_GET+=("$(rps http://127.0.0.1:18086/schemas/ids/1)")
  L_GET+=("$(rps http://127.0.0.1:18087/schemas/ids/1)")
  M_POST+=("$(rps -s bench/known_schema.lua http://127.0.0.1:18081/subjects/bench-value/versions)")
  N_POST+=("$(rps -s bench/known_schema.lua http://127.0.0.1:18086/subjects/bench-value/versions)")
  L_POST+=("$(rps -s bench/known_schema.lua http://127.0.0.1:18087/subjects/bench-value/versions)")
done
mg=$(median "${M_GET[@]}"); ng=$(median "${N_GET[@]}"); lg=$(median "${L_GET[@]}")
mp=$(median "${M_POST[@]}"); np=$(median "${N_POST[@]}"); lp=$(median "${L_POST[@]}")
echo "GET /schemas/ids/1        metrics off ${ng} req/s   on ${mg} req/s   ratio $(ratio "$mg" "$ng")   + access log ${lg} req/s   ratio $(ratio "$lg" "$ng")"
echo "                          (rounds: on ${M_GET[*]}; off ${N_GET[*]}; access log ${L_GET[*]})"
echo "re-register known schema  metrics off ${np} req/s   on ${mp} req/s   ratio $(ratio "$mp" "$np")   + access log ${lp} req/s   ratio $(ratio "$lp" "$np")"
echo "                          (rounds: on ${M_POST[*]}; off ${N_POST[*]}; access log ${L_POST[*]})"
echo "access log written: $(wc -l <"$WORK/logged.log") lines, $(du -h "$WORK/logged.log" | cut -f1)"

# --- new durable registrations ------------------------------------------------------------
start_schemata "$WORK/new" 18083
NEW=$(rps -s bench/new_schema.lua http://127.0.0.1:18083)
echo "new durable registrations ${NEW} req/s ($CONNS connections, each answered after fsync)"

# --- memory with 10,000 schemas -----------------------------------------------------------
"$CARGO_TARGET_DIR"/release/examples/gen_log "$WORK/rss" 10000
start_schemata "$WORK/rss" 18084
curl -sf localhost:18084/schemas/ids/10000 >/dev/null
echo "RSS with 10,000 schemas   $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$SCHEMATA_PID/status)"

# --- cold start with 100,000 schemas ------------------------------------------------------
"$CARGO_TARGET_DIR"/release/examples/gen_log "$WORK/cold" 100000
echo "log with 100,000 schemas  $(du -h "$WORK/cold/schemas.log" | cut -f1)"
for run in 1 2 3; do
  start=$(date +%s%N)
  start_schemata "$WORK/cold" $((18090 + run))
  end=$(date +%s%N)
  echo "cold start run $run        $(( (end - start) / 1000000 )) ms to ready; $(grep -o 'loaded.*' "$WORK/cold.log" | tail -1)"
  echo "RSS with 100,000 schemas  $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$SCHEMATA_PID/status)"
  kill "$SCHEMATA_PID"; wait "$SCHEMATA_PID" 2>/dev/null || true
  rm -f "$WORK/cold.log"
done
