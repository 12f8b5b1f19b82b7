#!/usr/bin/env bash
# Two schemata builds (or one build with two sets of serve flags) side by side on the hot paths,
# with the bare-axum baseline, in the same run: rounds interleaved, medians compared.
# Usage: bench/compare.sh OLD_BIN NEW_BIN [seconds per wrk run, default 5] [rounds, default 5]
#   extra serve flags: OLD_ARGS="..." NEW_ARGS="..." (e.g. NEW_ARGS="--auth-file auth.toml")
#   one extra request header for the new one (e.g. credentials): NEW_HEADER="Authorization: Basic ..."
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
OLD_BIN="$1"; NEW_BIN="$2"; DURATION="${3:-5}"; ROUNDS="${4:-5}"
export CARGO_TARGET_DIR="$PWD/target"
(cd bench/baseline && cargo build --release --quiet)
BASE_BIN=target/release/schemata-bench-baseline
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # bin, port, extra args
  # shellcheck disable=SC2086
  RUST_LOG=info NO_COLOR=1 "$1" serve --listen "127.0.0.1:$2" --storage "file://$WORK/$2" $3 >"$WORK/$2.log" 2>&1 &
  PIDS+=($!)
  until curl -sf "localhost:$2/" >/dev/null; do sleep 0.05; done  # 200 once replayed
}
start "$OLD_BIN" 18181 "${OLD_ARGS:-}"
start "$NEW_BIN" 18182 "${NEW_ARGS:-}"
KNOWN=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" bench/known_schema.lua | sed 's/\\\\/\\/g')
HEADER=(); [ -n "${NEW_HEADER:-}" ] && HEADER=(-H "$NEW_HEADER")
curl -sf -XPOST "localhost:18181/subjects/bench-value/versions" \
  -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$KNOWN" >/dev/null
curl -sf "${HEADER[@]}" -XPOST "localhost:18182/subjects/bench-value/versions" \
  -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$KNOWN" >/dev/null
ID_BODY=$(curl -sf localhost:18181/schemas/ids/1)
"$BASE_BIN" 127.0.0.1:18183 "$ID_BODY" & PIDS+=($!)
until curl -sf localhost:18183/schemas/ids/1 >/dev/null; do sleep 0.05; done

rps() { wrk -t2 -c32 -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
for path in "/schemas/ids/1" "/subjects/bench-value/versions"; do
  SCRIPT=(); [ "$path" != "/schemas/ids/1" ] && SCRIPT=(-s bench/known_schema.lua)
  B=(); O=(); N=()
  for _ in $(seq "$ROUNDS"); do
    B+=("$(rps "${SCRIPT[@]}" "http://127.0.0.1:18183$path")")
    O+=("$(rps "${SCRIPT[@]}" "http://127.0.0.1:18181$path")")
    N+=("$(rps "${SCRIPT[@]}" "${HEADER[@]}" "http://127.0.0.1:18182$path")")
  done
  b=$(median "${B[@]}"); o=$(median "${O[@]}"); n=$(median "${N[@]}")
  echo "$path  baseline $b  old $o ($(ratio "$o" "$b"))  new $n ($(ratio "$n" "$b"))  new/old $(ratio "$n" "$o")"
  echo "   rounds: baseline ${B[*]} | old ${O[*]} | new ${N[*]}"
done
