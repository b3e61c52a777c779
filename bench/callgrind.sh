#!/usr/bin/env bash
# Instructions per request through ccproxy, counted by valgrind's callgrind: unlike
# wall-clock figures these do not move when the machine is busy, so they compare builds.
#
#   bench/callgrind.sh                 # small, 50 KB and streamed requests; prints Ir/request
#   N=500 bench/callgrind.sh           # measured requests per scenario (default 300)
#   KEEP=1 bench/callgrind.sh          # keep the callgrind.out files (for callgrind_annotate)
#   PASSTHROUGH=1 bench/callgrind.sh   # the same small request through the Anthropic
#                                      # pass-through (fixed-upstream answers /v1/messages)
#   CHUNKS=100 bench/callgrind.sh      # streamed answers of 100 chunks instead of 20 (per-event cost)
#   RESPONSES=1 bench/callgrind.sh     # the same three requests through a provider of type
#                                      # `responses` (fixed-upstream answers /v1/responses)
#
# Method: the proxy runs under callgrind with instrumentation off; after a warm-up the counters
# are switched on, N requests are sent, and the total is divided by N. Needs the release
# binaries (bench/run.sh builds them) and valgrind.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
BIN="$BENCH_DIR/target/release"
CCPROXY_BIN="${CCPROXY_BIN:-$ROOT/target/release/ccproxy}"
N="${N:-300}"
WARMUP=50
OUT="$(mktemp -d)"
PIDS=()
log() { echo "callgrind.sh: $*" >&2; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] && log "callgrind files kept in $OUT" || rm -rf "$OUT"
}
trap cleanup EXIT
command -v valgrind >/dev/null || { log "valgrind is not installed (apt-get install valgrind)"; exit 1; }
[ -x "$CCPROXY_BIN" ] && [ -x "$BIN/loadgen" ] || { log "build first: bench/run.sh builds the release binaries"; exit 1; }

"$BIN/fixed-upstream" --port 0 ${CHUNKS:+--chunks "$CHUNKS"} > "$OUT/upstream.addr" 2> "$OUT/upstream.log" &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$OUT/upstream.addr" ] && break; sleep 0.01; done
UPSTREAM="$(head -n1 "$OUT/upstream.addr")"

PORT=$(( (RANDOM % 20000) + 30000 ))
if [ "${PASSTHROUGH:-0}" = 1 ]; then
  PROVIDER_ENV=(PROVIDER=anthropic "ANTHROPIC_BASE_URL=http://$UPSTREAM" ANTHROPIC_MODEL=bench-model
    ANTHROPIC_API_KEY=x)
elif [ "${RESPONSES:-0}" = 1 ]; then
  cat > "$OUT/responses.json" <<JSON
{"providers":[{"name":"bench","type":"responses","base_url":"http://$UPSTREAM/v1","api_key":"x",
  "models":["bench-model"]}],
 "routes":{"default":"bench,bench-model"}}
JSON
  PROVIDER_ENV=("CCPROXY_CONFIG=$OUT/responses.json")
else
  PROVIDER_ENV=(PROVIDER=bench "BENCH_BASE_URL=http://$UPSTREAM/v1" BENCH_MODEL=bench-model BENCH_API_KEY=x)
fi
env "${PROVIDER_ENV[@]}" "CCPROXY_PORT=$PORT" valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$OUT/callgrind.out.%p" "$CCPROXY_BIN" serve 2> "$OUT/proxy.log" &
PROXY=$!
PIDS+=($PROXY)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { log "proxy did not start"; tail "$OUT/proxy.log" >&2; exit 1; }

total_ir() { # sums the Ir totals of every dump so far
  callgrind_control -d "$PROXY" >/dev/null
  sleep 0.5
  cat "$OUT"/callgrind.out.* | sed -n 's/^totals: *\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}'
}

scenario() { # label body
  local label="$1" body="$2" before after
  "$BIN/loadgen" latency --url "http://127.0.0.1:$PORT/v1/messages" --body "$body" \
    -H "x-api-key: x" -H "anthropic-version: 2023-06-01" -n 1 --warmup "$WARMUP" >/dev/null 2>&1
  before="$(total_ir)"
  callgrind_control -i on "$PROXY" >/dev/null; sleep 1
  "$BIN/loadgen" latency --url "http://127.0.0.1:$PORT/v1/messages" --body "$body" \
    -H "x-api-key: x" -H "anthropic-version: 2023-06-01" -n "$N" --warmup 0 >/dev/null 2>&1
  callgrind_control -i off "$PROXY" >/dev/null
  after="$(total_ir)"
  printf '%-28s %12d instructions/request (%d requests)\n' "$label" $(( (after - before) / N )) "$N"
  echo "{\"mode\":\"callgrind\",\"label\":\"$label\",\"instructions_per_request\":$(( (after - before) / N )),\"requests\":$N}" >> "$OUT/results.jsonl"
}

if [ "${PASSTHROUGH:-0}" = 1 ]; then
  scenario "small, Anthropic pass-through" "$BENCH_DIR/bodies/small.json"
  exit 0
fi
scenario "small" "$BENCH_DIR/bodies/small.json"
scenario "claude-code-50k" "$BENCH_DIR/bodies/claude-code-50k.json"
scenario "small, streamed" "$BENCH_DIR/bodies/small-stream.json"
