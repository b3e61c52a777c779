#!/usr/bin/env bash
# Where a proxy's CPU goes under load, by `perf record`: ccproxy and null-proxy (the
# do-nothing forwarder) in turn, each pinned to PROXY_CORE and driven at 32 connections
# with the small request, as bench/run.sh's throughput row. For each it prints the CPU per
# request (/proc/<pid>/stat over the window / requests the upstream answered), the share of
# the samples in the proxy's own binary, libc and the kernel, the system calls per request
# (perf's raw_syscalls tracepoint), and the heaviest symbols.
#
#   bench/perf.sh                  # both targets, 5 s each
#   D=10 TOP=40 bench/perf.sh      # longer window, more symbols
#   TARGETS=ccproxy bench/perf.sh  # one target
#
# Needs perf (linux-perf) and root or perf_event_paranoid ≤ 1 for the kernel's samples, and
# the release binaries (bench/run.sh builds them). For symbol names in ccproxy's own code,
# point CCPROXY_BIN at `cargo build --profile profiling` output (release with debug info).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
measuring_script perf.sh
D="${D:-5}" TOP="${TOP:-25}" TARGETS="${TARGETS:-ccproxy null-proxy}"
cleanup() {
  stop_started
  rm -rf "$OUT"
}
trap cleanup EXIT
command -v perf >/dev/null || { log "perf is not installed (apt-get install linux-perf)"; exit 1; }
require_binaries
pin_cores
start_fixed_upstream

for target in $TARGETS; do
  PORT="$(free_port)"
  case "$target" in
    ccproxy)
      env PROVIDER=bench "BENCH_BASE_URL=http://$UPSTREAM/v1" BENCH_MODEL=bench-model BENCH_API_KEY=x \
        "CCPROXY_PORT=$PORT" "${PIN_PROXY[@]}" "$CCPROXY_BIN" serve 2> "$OUT/$target.log" &
      ;;
    null-proxy)
      "${PIN_PROXY[@]}" "$BIN/null-proxy" --port "$PORT" --upstream "$UPSTREAM" > /dev/null 2> "$OUT/$target.log" &
      ;;
    *) log "unknown target $target (ccproxy, null-proxy)"; exit 1 ;;
  esac
  PROXY=$!
  PIDS+=($PROXY)
  # Both answer any path once up (null-proxy forwards it; ccproxy routes it or says 404).
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.05; done
  load() { # seconds
    "${PIN_CLIENT[@]}" "$BIN/loadgen" throughput --url "http://127.0.0.1:$PORT/v1/messages" \
      --body "$BENCH_DIR/bodies/small.json" --label tput-32 -c 32 -d "$1" --warmup-secs 0.5 \
      --target "$target" -H "x-api-key: x" -H "anthropic-version: 2023-06-01" > /dev/null 2>&1
  }
  load 1 # warm the pools and the allocator before anything is counted
  t0="$(cpu_ticks "$PROXY")" s0="$(served "$UPSTREAM")"
  load "$(( D + 2 ))" & # the profile (D s), then the syscall count (1 s)
  LOAD=$!
  perf record -q -g -p "$PROXY" -o "$OUT/$target.data" -- sleep "$D" 2> /dev/null
  s_mid="$(served "$UPSTREAM")"
  perf stat -e raw_syscalls:sys_enter -p "$PROXY" -x, -o "$OUT/$target.syscalls" -- sleep 1
  s_end="$(served "$UPSTREAM")"
  wait "$LOAD"
  t1="$(cpu_ticks "$PROXY")" s1="$(served "$UPSTREAM")"
  echo
  echo "== $target"
  awk -v t="$(( t1 - t0 ))" -v n="$(( s1 - s0 ))" -v hz="$CLK_TCK" \
    'BEGIN { printf "CPU per request: %.1f µs (%d requests)\n", t * 1e6 / hz / n, n }'
  # The system calls of the one second after the profile, over the requests the upstream
  # answered in that second (give or take the time to read its counter).
  awk -F, -v n="$(( s_end - s_mid ))" '/sys_enter/ && n > 0 {
      printf "system calls per request: %.1f\n", $1 / n }' "$OUT/$target.syscalls" || true
  echo "samples by object:"
  perf report -i "$OUT/$target.data" --no-children --sort dso --stdio 2> /dev/null \
    | grep -E '^ +[0-9]' | awk 'NR <= 8'
  echo "heaviest symbols (self):"
  perf report -i "$OUT/$target.data" --no-children --sort dso,sym --stdio -g none 2> /dev/null \
    | grep -E '^ +[0-9]' | awk -v top="$TOP" 'NR <= top'
  kill "$PROXY" 2>/dev/null || true
  wait "$PROXY" 2>/dev/null || true
done
