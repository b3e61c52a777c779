# Shell helpers shared by the bench scripts (sourced, not run).

# A free loopback port below the ephemeral range (32768+), so that no outgoing connection
# can take it between this check and the server binding it.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( (RANDOM % 12000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# The scripts that source this keep the background processes they start in PIDS and their
# files in OUT; stop_started ends the processes (each script's exit trap calls it).
stop_started() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# PIN_PROXY and PIN_CLIENT: taskset prefixes putting the proxy on PROXY_CORE and the client
# and upstream on CLIENT_CORE; both empty without taskset or a second core.
pin_cores() {
  PIN_PROXY=() PIN_CLIENT=()
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    PIN_PROXY=(taskset -c "${PROXY_CORE:-0}") PIN_CLIENT=(taskset -c "${CLIENT_CORE:-1}")
  fi
}

# start_fixed_upstream [ARGS...]: fixed-upstream in the background (under PIN_CLIENT), its
# address in UPSTREAM.
start_fixed_upstream() {
  "${PIN_CLIENT[@]}" "$BIN/fixed-upstream" --port 0 "$@" > "$OUT/upstream.addr" 2> "$OUT/upstream.log" &
  PIDS+=($!)
  for _ in $(seq 200); do [ -s "$OUT/upstream.addr" ] && break; sleep 0.01; done
  UPSTREAM="$(head -n1 "$OUT/upstream.addr")"
}

# measuring_script NAME: the set-up callgrind.sh, perf.sh and team.sh share: the binaries'
# paths (ROOT, BIN, CCPROXY_BIN), a temporary directory (OUT), the list of started processes
# (PIDS) and log()'s prefix. Each script then sets its exit trap (stop_started and its own
# handling of OUT) and calls require_binaries.
measuring_script() {
  SCRIPT_NAME="$1"
  ROOT="$(dirname "$BENCH_DIR")"
  BIN="$BENCH_DIR/target/release"
  CCPROXY_BIN="${CCPROXY_BIN:-$ROOT/target/release/ccproxy}"
  OUT="$(mktemp -d)"
  PIDS=()
}
log() { echo "${SCRIPT_NAME:-bench}: $*" >&2; }
require_binaries() {
  [ -x "$CCPROXY_BIN" ] && [ -x "$BIN/loadgen" ] || { log "build first: bench/run.sh builds the release binaries"; exit 1; }
}

# served ADDR: how many requests the fixed-upstream at ADDR has answered so far.
served() { curl -s "http://$1/stats" 2>/dev/null | sed -n 's/.*"served":\([0-9]*\).*/\1/p'; }

# tree_pids PID: the process and its descendants.
tree_pids() { local p="$1" c; echo "$p"; for c in $(pgrep -P "$p" 2>/dev/null); do tree_pids "$c"; done; }

# cpu_ticks PID: CPU time (user + system, clock ticks) of the process and its descendants so
# far; nothing without a pid (a target with no proxy process).
CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { # pid
  [ -n "$1" ] || return 0
  local sum=0 p v
  for p in $(tree_pids "$1"); do
    # utime and stime are fields 14 and 15 of /proc/<pid>/stat; the name (field 2) may
    # hold spaces, so count from after its closing parenthesis.
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true)
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}
