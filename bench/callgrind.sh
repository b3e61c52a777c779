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
#   NULLPROXY=1 bench/callgrind.sh     # the same requests through null-proxy, the do-nothing
#                                      # forwarder: the HTTP floor every proxy pays
#   CHECK=1 bench/callgrind.sh         # exit 1 when a request costs more than its ceiling in
#                                      # bench/callgrind-limits (CI; the default requests only)
#
# Method: the proxy runs under callgrind with instrumentation off; after a warm-up the counters
# are switched on, N requests are sent, and the total is divided by N. Needs the release
# binaries (bench/run.sh builds them) and valgrind.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
measuring_script callgrind.sh
N="${N:-300}"
WARMUP=50
cleanup() {
  stop_started
  [ "${KEEP:-0}" = 1 ] && log "callgrind files kept in $OUT" || rm -rf "$OUT"
}
trap cleanup EXIT
command -v valgrind >/dev/null || { log "valgrind is not installed (apt-get install valgrind)"; exit 1; }
require_binaries
LIMITS="$BENCH_DIR/callgrind-limits"
if [ "${CHECK:-0}" = 1 ] && [ -n "${PASSTHROUGH:-}${RESPONSES:-}${NULLPROXY:-}${CHUNKS:-}" ]; then
  log "CHECK=1 has ceilings for the default requests only (no PASSTHROUGH, RESPONSES, NULLPROXY, CHUNKS)"
  exit 2
fi
FAILED=0

PIN_CLIENT=() # unpinned: under valgrind the proxy is the slow side whatever the cores
start_fixed_upstream ${CHUNKS:+--chunks "$CHUNKS"}

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
if [ "${NULLPROXY:-0}" = 1 ]; then
  # The floor: it forwards any path, so any HTTP answer means it is up.
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.out.%p" \
    "$BIN/null-proxy" --port "$PORT" --upstream "$UPSTREAM" > /dev/null 2> "$OUT/proxy.log" &
  ready() { curl -s -o /dev/null "http://127.0.0.1:$PORT/"; }
else
  env "${PROVIDER_ENV[@]}" "CCPROXY_PORT=$PORT" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$OUT/callgrind.out.%p" "$CCPROXY_BIN" serve 2> "$OUT/proxy.log" &
  ready() { curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; }
fi
PROXY=$!
PIDS+=($PROXY)
for _ in $(seq 300); do ready && break; sleep 0.1; done
ready || { log "proxy did not start"; tail "$OUT/proxy.log" >&2; exit 1; }

total_ir() { # sums the Ir totals of every dump so far
  callgrind_control -d "$PROXY" >/dev/null 2>&1
  sleep 0.5
  cat "$OUT"/callgrind.out.* | sed -n 's/^totals: *\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}'
}

scenario() { # label body
  local label="$1" body="$2" before after
  "$BIN/loadgen" latency --url "http://127.0.0.1:$PORT/v1/messages" --body "$body" \
    -H "x-api-key: x" -H "anthropic-version: 2023-06-01" -n 1 --warmup "$WARMUP" >/dev/null 2>&1
  before="$(total_ir)"
  callgrind_control -i on "$PROXY" >/dev/null 2>&1; sleep 1
  "$BIN/loadgen" latency --url "http://127.0.0.1:$PORT/v1/messages" --body "$body" \
    -H "x-api-key: x" -H "anthropic-version: 2023-06-01" -n "$N" --warmup 0 >/dev/null 2>&1
  callgrind_control -i off "$PROXY" >/dev/null 2>&1
  after="$(total_ir)"
  if [ "$after" -le "$before" ]; then
    log "callgrind counted nothing for $label (is callgrind_control working?)"; exit 1
  fi
  printf '%-28s %12d instructions/request (%d requests)\n' "$label" $(( (after - before) / N )) "$N"
  echo "{\"mode\":\"callgrind\",\"label\":\"$label\",\"instructions_per_request\":$(( (after - before) / N )),\"requests\":$N}" >> "$OUT/results.jsonl"
  [ "${CHECK:-0}" = 1 ] && check "$label" $(( (after - before) / N ))
  return 0
}

check() { # label instructions: a count over the label's ceiling fails the run
  local limit
  limit="$(awk -F'\t' -v l="$1" '$1 == l { print $2 }' "$LIMITS")"
  if [ -z "$limit" ]; then
    log "check FAILED: no ceiling for \"$1\" in $LIMITS"; FAILED=1
  elif [ "$2" -gt "$limit" ]; then
    log "check FAILED: \"$1\" costs $2 instructions per request, over its ceiling of $limit"; FAILED=1
  else
    log "check: \"$1\" is under its ceiling of $limit"
  fi
}

if [ "${PASSTHROUGH:-0}" = 1 ]; then
  scenario "small, Anthropic pass-through" "$BENCH_DIR/bodies/small.json"
  exit 0
fi
scenario "small" "$BENCH_DIR/bodies/small.json"
scenario "claude-code-50k" "$BENCH_DIR/bodies/claude-code-50k.json"
scenario "small, streamed" "$BENCH_DIR/bodies/small-stream.json"
exit "$FAILED"
