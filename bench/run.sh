#!/usr/bin/env bash
# ccproxy benchmark: one command, direct-to-upstream vs through-proxy, same client, same run.
#
#   bench/run.sh [--smoke] [--peers] [--runs N] [--no-build] [--no-build-proxy]
#
#   --smoke           short run (< 1 min once built); exits 1 only when ccproxy is past
#                     10x the budget on a row (gross regressions), 0 otherwise
#   --peers           also measure the peers that are installed (see bench/README.md)
#   --runs N          repeat the whole suite N times; the report takes medians (default 1)
#   --no-build        do not build the bench binaries (they must exist)
#   --no-build-proxy  do not build ccproxy (use CCPROXY_BIN as it is)
#
# Environment:
#   CCPROXY_BIN       proxy binary (default <repo>/target/release/ccproxy)
#   CCPROXY_ARGS      its arguments (default "serve")
#   PROXY_HEADER      auth header sent to proxies (default "x-api-key: x")
#   BENCH_REQUIRE_PROXY=1  fail when ccproxy is absent or does not answer (CI, once it serves)
#   PROXY_CORE / CLIENT_CORE  cores to pin to (default 0 / 1)
#   LITELLM_VENV, CCR_PREFIX  where the peers are installed (default bench/.peers/...)
#
# ccproxy is configured for an OpenAI-compatible server by the env contract:
#   PROVIDER=bench BENCH_BASE_URL=http://127.0.0.1:<port>/v1 BENCH_MODEL=bench-model BENCH_API_KEY=x CCPROXY_PORT=<port>
# and once more (target `ccproxy-responses`) with a config file whose one provider is of
# type `responses`, so its Responses path runs beside the chat path against the same upstream.
#
# Output: human lines on stderr, JSON lines in bench/results/<stamp>.jsonl, and the
# table from `loadgen report` at the end.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
ROOT="$(dirname "$BENCH_DIR")"
SMOKE=0 PEERS=0 RUNS=1 BUILD=1 BUILD_PROXY=1
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --peers) PEERS=1 ;;
    --runs) RUNS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --no-build-proxy) BUILD_PROXY=0 ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

CCPROXY_BIN="${CCPROXY_BIN:-$ROOT/target/release/ccproxy}"
CCPROXY_ARGS="${CCPROXY_ARGS:-serve}"
PROXY_HEADER="${PROXY_HEADER:-x-api-key: x}"
PROXY_CORE="${PROXY_CORE:-0}"
CLIENT_CORE="${CLIENT_CORE:-1}"
LITELLM_VENV="${LITELLM_VENV:-$BENCH_DIR/.peers/litellm-venv}"
CCR_PREFIX="${CCR_PREFIX:-$BENCH_DIR/.peers/ccr}"
BIN="$BENCH_DIR/target/release"
BODIES="$BENCH_DIR/bodies"

log() { echo "run.sh: $*" >&2; }

# --- sizes of the run ---------------------------------------------------------
if [ "$SMOKE" = 1 ]; then
  LAT_N=1000 LAT_W=200 BIG_N=300 BIG_W=50 TPUT_D=2 TPUT_W=0.5 TTFE_N=200 TTFE_W=20
  LONG_N=5 STARTUPS=1 PEAK_D=1
else
  LAT_N=5000 LAT_W=500 BIG_N=2000 BIG_W=200 TPUT_D=5 TPUT_W=1 TTFE_N=1000 TTFE_W=100
  LONG_N=20 STARTUPS=5 PEAK_D=3
fi
LONG_CHUNKS=100 LONG_DELAY_US=1000  # long stream: 100 chunks, 1 ms apart (tokio timer tick)

# --- pinning ------------------------------------------------------------------
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_PROXY=(taskset -c "$PROXY_CORE")
  PIN_CLIENT=(taskset -c "$CLIENT_CORE")
else
  log "taskset or a second core missing: running unpinned (figures are noisier)"
  PIN_PROXY=() PIN_CLIENT=()
fi

# --- processes we start, ended on exit by pid ----------------------------------
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
# End a process we started, and its children (peers run worker processes).
stop_pid() {
  local p="$1" c
  for c in $(pgrep -P "$p" 2>/dev/null); do stop_pid "$c"; done
  kill "$p" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
  kill -9 "$p" 2>/dev/null || true
}

# --- build --------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  log "building bench binaries (release)"
  nice -n 10 cargo build --release --quiet --manifest-path "$BENCH_DIR/Cargo.toml"
fi
if [ "$BUILD_PROXY" = 1 ] && [ -f "$ROOT/Cargo.toml" ]; then
  log "building ccproxy (release)"
  if ! (cd "$ROOT" && nice -n 10 cargo build --release --quiet); then
    log "ccproxy did not build; measuring what can be measured"
  fi
fi

mkdir -p "$BENCH_DIR/results"
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$BENCH_DIR/results/$STAMP.jsonl"
LOGS="$BENCH_DIR/results/$STAMP.logs"
mkdir -p "$LOGS"
: > "$RESULTS"
log "results: $RESULTS"

lg() { "${PIN_CLIENT[@]}" "$BIN/loadgen" "$@" >> "$RESULTS"; }

# --- upstreams ----------------------------------------------------------------
start_upstream() { # name args... ; sets UP_ADDR
  local name="$1"; shift
  local out="$LOGS/$name.addr"
  "${PIN_CLIENT[@]}" "$BIN/fixed-upstream" --port 0 "$@" > "$out" 2> "$LOGS/$name.log" &
  PIDS+=($!)
  for _ in $(seq 200); do [ -s "$out" ] && break; sleep 0.01; done
  UP_ADDR="$(head -n1 "$out")"
  [ -n "$UP_ADDR" ] || { log "fixed-upstream $name did not start"; exit 1; }
}
start_upstream up-fast
UP_FAST="$UP_ADDR"
start_upstream up-long --chunks "$LONG_CHUNKS" --chunk-delay-us "$LONG_DELAY_US"
UP_LONG="$UP_ADDR"
log "upstreams: fast http://$UP_FAST, long-stream http://$UP_LONG"

# --- the suite: one target, one base URL each for the fast and long upstreams ---
# suite TARGET FAST_URL LONG_URL SUFFIX HEADER...
#   SUFFIX is "" for Anthropic bodies (proxies) and ".openai" for direct.
suite() {
  local target="$1" fast="$2" long="$3" sfx="$4"; shift 4
  local hdr=() h
  for h in "$@"; do hdr+=(-H "$h"); done
  local common=(--target "$target" "${hdr[@]}")
  lg latency --url "$fast" --body "$BODIES/small$sfx.json" --label small \
    -n "$LAT_N" --warmup "$LAT_W" "${common[@]}" || log "$target: latency small failed"
  lg latency --url "$fast" --body "$BODIES/claude-code-50k$sfx.json" --label cc50k \
    -n "$BIG_N" --warmup "$BIG_W" "${common[@]}" || log "$target: latency 50k failed"
  lg ttfe --url "$fast" --body "$BODIES/small-stream$sfx.json" --label stream-small \
    -n "$TTFE_N" --warmup "$TTFE_W" "${common[@]}" || log "$target: ttfe failed"
  lg ttfe --url "$long" --body "$BODIES/small-stream$sfx.json" --label stream-long \
    -n "$LONG_N" --warmup 2 "${common[@]}" || log "$target: long stream failed"
  local cpu0 served0
  cpu0="$(cpu_ticks "${SUITE_PID:-}")" served0="$(served "$UP_FAST")"
  lg throughput --url "$fast" --body "$BODIES/small$sfx.json" --label tput-32 -c 32 \
    -d "$TPUT_D" --warmup-secs "$TPUT_W" "${common[@]}" || log "$target: throughput 32 failed"
  cpu_per_request "$target" tput-32 "$cpu0" "$served0"
  lg throughput --url "$fast" --body "$BODIES/small$sfx.json" --label tput-64 -c 64 \
    -d "$TPUT_D" --warmup-secs "$TPUT_W" "${common[@]}" || log "$target: throughput 64 failed"
}

# cpu_per_request TARGET LABEL TICKS_BEFORE SERVED_BEFORE: the proxy's CPU over the window
# divided by the requests the upstream answered in it (warm-up included on both sides).
cpu_per_request() {
  local target="$1" label="$2" t0="$3" s0="$4" t1 s1
  [ -n "$t0" ] || return 0
  t1="$(cpu_ticks "$SUITE_PID")" s1="$(served "$UP_FAST")"
  [ "$(( ${s1:-0} - ${s0:-0} ))" -gt 0 ] || return 0
  awk -v t="$(( t1 - t0 ))" -v n="$(( s1 - s0 ))" -v hz="$CLK_TCK" -v tg="$target" -v lb="$label" \
    'BEGIN { printf "{\"mode\":\"cpu\",\"target\":\"%s\",\"label\":\"%s\",\"cpu_us_per_request\":%.2f,\"requests\":%d,\"cpu_ticks\":%d}\n", tg, lb, t * 1e6 / hz / n, n, t }' \
    >> "$RESULTS"
}

# Peak memory: 64 concurrent streams on the long upstream.
streams64() {
  local target="$1" long="$2"; shift 2
  local hdr=() h
  for h in "$@"; do hdr+=(-H "$h"); done
  lg throughput --url "$long" --body "$BODIES/small-stream.json" --label streams-64 -c 64 \
    -d "$PEAK_D" --warmup-secs 0.2 --target "$target" "${hdr[@]}" || log "$target: 64 streams failed"
}

# Sum of VmRSS / VmHWM (KiB) over a process and its descendants.
mem_kib() { # pid field
  local sum=0 p v
  for p in $(tree_pids "$1"); do
    v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}

# measure_proxy TARGET CMD_FN [TIMEOUT_MS]: `CMD_FN PORT UPSTREAM_ADDR` sets the array CMD to
# the command that runs the proxy in the foreground on PORT (loadgen startup spawns it,
# times it to the first answered request, and leaves it running).
STARTUP_TIMEOUT_MS=5000
measure_proxy() {
  local target="$1" startfn="$2" timeout="${3:-$STARTUP_TIMEOUT_MS}"
  local port port2 pid pid2 line url
  local before after
  # Start-up time, repeated; each sample is a fresh process.
  for i in $(seq "$STARTUPS"); do
    port="$(free_port)"
    url="http://127.0.0.1:$port/v1/messages"
    "$startfn" "$port" "$UP_FAST"
    line="$("${PIN_CLIENT[@]}" "$BIN/loadgen" startup --url "$url" --body "$BODIES/small.json" \
      -H "$PROXY_HEADER" -H "anthropic-version: 2023-06-01" --target "$target" \
      --timeout-ms "$timeout" --log "$LOGS/$target-$i.log" -- \
      "${CMD[@]}")" || {
      echo "$line" >> "$RESULTS"
      log "$target did not answer (log: $LOGS/$target-$i.log); not measured"
      return 1
    }
    echo "$line" >> "$RESULTS"
    pid="$(echo "$line" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')"
    PIDS+=("$pid")
    if [ "$i" -lt "$STARTUPS" ]; then stop_pid "$pid"; fi
  done
  sleep 1
  local idle; idle="$(mem_kib "$pid" VmRSS)"
  # A second instance on the long-stream upstream.
  port2="$(free_port)"
  "$startfn" "$port2" "$UP_LONG"
  line="$("${PIN_CLIENT[@]}" "$BIN/loadgen" startup --url "http://127.0.0.1:$port2/v1/messages" \
    --body "$BODIES/small.json" -H "$PROXY_HEADER" -H "anthropic-version: 2023-06-01" \
    --target "$target" --label long-instance --timeout-ms "$timeout" --log "$LOGS/$target-long.log" -- \
    "${CMD[@]}")" || {
    log "$target: long-stream instance did not start"; return 1; }
  pid2="$(echo "$line" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')"
  PIDS+=("$pid2")
  before="$(served "$UP_FAST")"
  SUITE_PID="$pid" suite "$target" "http://127.0.0.1:$port/v1/messages" "http://127.0.0.1:$port2/v1/messages" "" \
    "$PROXY_HEADER" "anthropic-version: 2023-06-01"
  after="$(served "$UP_FAST")"
  streams64 "$target" "http://127.0.0.1:$port2/v1/messages" "$PROXY_HEADER" "anthropic-version: 2023-06-01"
  local peak1 peak2 peak
  peak1="$(mem_kib "$pid" VmHWM)"; peak2="$(mem_kib "$pid2" VmHWM)"
  peak=$(( peak1 > peak2 ? peak1 : peak2 ))
  echo "{\"mode\":\"rss\",\"target\":\"$target\",\"label\":\"\",\"idle_kib\":$idle,\"peak_kib\":$peak,\"peak_fast_kib\":$peak1,\"peak_streams_kib\":$peak2}" >> "$RESULTS"
  echo "{\"mode\":\"forwarded\",\"target\":\"$target\",\"label\":\"\",\"upstream_requests\":$(( ${after:-0} - ${before:-0} ))}" >> "$RESULTS"
  log "$target: idle RSS ${idle} KiB, peak ${peak} KiB (fast ${peak1}, 64 streams ${peak2}); upstream saw $(( ${after:-0} - ${before:-0} )) requests"
  stop_pid "$pid"; stop_pid "$pid2"
}

# --- proxies under test ----------------------------------------------------------
cmd_ccproxy() { # port upstream
  # shellcheck disable=SC2206 # CCPROXY_ARGS is a word list on purpose
  CMD=(env PROVIDER=bench "BENCH_BASE_URL=http://$2/v1" BENCH_MODEL=bench-model BENCH_API_KEY=x "CCPROXY_PORT=$1"
    "${PIN_PROXY[@]}" "$CCPROXY_BIN" $CCPROXY_ARGS)
}

# The same ccproxy with a provider of type `responses`: its Responses path (translate to
# `POST /responses` and back), measured beside the chat path against the same upstream.
cmd_ccproxy_responses() { # port upstream
  local cfg="$LOGS/ccproxy-responses-$1.json"
  cat > "$cfg" <<JSON
{"providers":[{"name":"bench","type":"responses","base_url":"http://$2/v1","api_key":"x",
  "models":["bench-model"]}],
 "routes":{"default":"bench,bench-model"}}
JSON
  # shellcheck disable=SC2206 # CCPROXY_ARGS is a word list on purpose
  CMD=(env "CCPROXY_CONFIG=$cfg" "CCPROXY_PORT=$1" "${PIN_PROXY[@]}" "$CCPROXY_BIN" $CCPROXY_ARGS)
}

# The floor: a forwarder that parses and translates nothing (src/bin/null_proxy.rs). What
# it adds is the cost of the extra loopback hops and wake-ups any proxy pays here.
cmd_null_proxy() { # port upstream
  CMD=("${PIN_PROXY[@]}" "$BIN/null-proxy" --port "$1" --upstream "$2")
}

# --- peers (installed by bench/install-peers.sh) ---------------------------------
LITELLM_KEY="sk-bench-4f9c2a7e1d8b6035c4a9e7f2b1d0c3a8"
cmd_litellm() { # port upstream
  local cfg="$LOGS/litellm-$1.yaml"
  cat > "$cfg" <<YAML
model_list:
  - model_name: "*"
    litellm_params:
      model: openai/bench-model
      api_base: http://$2/v1
      api_key: x
litellm_settings:
  drop_params: true
  telemetry: false
general_settings:
  master_key: $LITELLM_KEY
YAML
  # Without the chat-completions switch LiteLLM sends /v1/messages to OpenAI's
  # /v1/responses, which is not the translation under test.
  CMD=(env LITELLM_OFFLINE_MODE=true LITELLM_LOCAL_MODEL_COST_MAP=True
    LITELLM_USE_CHAT_COMPLETIONS_URL_FOR_ANTHROPIC_MESSAGES=true
    "${PIN_PROXY[@]}" "$LITELLM_VENV/bin/litellm" --config "$cfg" --host 127.0.0.1 --port "$1")
}
CCR_JS="$CCR_PREFIX/node_modules/@musistudio/claude-code-router/dist/cli.js"
cmd_ccr() { # port upstream
  local home="$LOGS/ccr-home-$1"
  mkdir -p "$home/.claude-code-router"
  cat > "$home/.claude-code-router/config.json" <<JSON
{"HOST":"127.0.0.1","PORT":$1,"APIKEY":"sk-bench-ccr","LOG":false,"NON_INTERACTIVE_MODE":true,
 "Providers":[{"name":"bench","api_base_url":"http://$2/v1/chat/completions","api_key":"x","models":["bench-model"]}],
 "Router":{"default":"bench,bench-model"}}
JSON
  CMD=(env "HOME=$home" "${PIN_PROXY[@]}" node "$CCR_JS" start)
}
run_peers() {
  local saved_header="$PROXY_HEADER" saved_startups="$STARTUPS"
  STARTUPS=1
  if [ -x "$LITELLM_VENV/bin/litellm" ]; then
    log "run $run/$RUNS: through LiteLLM ($("$LITELLM_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))'))"
    PROXY_HEADER="x-api-key: $LITELLM_KEY"
    measure_proxy litellm cmd_litellm 90000 || true
  else
    log "LiteLLM not installed at $LITELLM_VENV (bench/install-peers.sh litellm)"
  fi
  if [ -f "$CCR_JS" ] && command -v node >/dev/null; then
    log "run $run/$RUNS: through claude-code-router (node $(node --version))"
    PROXY_HEADER="x-api-key: sk-bench-ccr"
    measure_proxy ccr cmd_ccr 30000 || true
  else
    log "claude-code-router not installed at $CCR_PREFIX (bench/install-peers.sh ccr)"
  fi
  PROXY_HEADER="$saved_header" STARTUPS="$saved_startups"
}

# --- the run --------------------------------------------------------------------
MEASURED_PROXY=0
for run in $(seq "$RUNS"); do
  log "run $run/$RUNS: direct to the upstream"
  suite direct "http://$UP_FAST/v1/chat/completions" "http://$UP_LONG/v1/chat/completions" .openai

  if [ -x "$CCPROXY_BIN" ]; then
    log "run $run/$RUNS: through ccproxy ($CCPROXY_BIN $CCPROXY_ARGS)"
    if measure_proxy ccproxy cmd_ccproxy; then MEASURED_PROXY=1; fi
    log "run $run/$RUNS: through ccproxy, Responses provider (POST /responses upstream)"
    measure_proxy ccproxy-responses cmd_ccproxy_responses || true
    if [ "$run" = 1 ]; then
      echo "{\"mode\":\"binary\",\"target\":\"ccproxy\",\"label\":\"\",\"bytes\":$(stat -c %s "$CCPROXY_BIN")}" >> "$RESULTS"
    fi
  else
    log "no ccproxy binary at $CCPROXY_BIN: measured direct only"
  fi

  # Measured in the smoke too: the check judges ccproxy's own share over this floor.
  log "run $run/$RUNS: through null-proxy (the floor: forwards bytes, no work)"
  measure_proxy null-proxy cmd_null_proxy || true

  if [ "$PEERS" = 1 ]; then
    run_peers
  fi
done

echo
status=0
if [ "$SMOKE" = 1 ]; then
  "$BIN/loadgen" report "$RESULTS" --check --factor 10 || status=$?
else
  "$BIN/loadgen" report "$RESULTS" || status=$?
fi
if [ "$MEASURED_PROXY" = 0 ] && [ "${BENCH_REQUIRE_PROXY:-0}" = 1 ]; then
  log "BENCH_REQUIRE_PROXY=1 and ccproxy was not measured"
  exit 1
fi
exit "$status"
