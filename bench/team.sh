#!/usr/bin/env bash
# What team mode's limits cost a request: the same small request through one ccproxy without
# team mode (unlimited), through one in team mode on the embedded store (a developer key
# with rpm, tpm and a daily spend limit), and through one in team mode on Redis (the same
# key and limits), in alternating rounds with the same client and upstream.
#
#   bench/team.sh                # 3 rounds of 2,000 requests per target
#   ROUNDS=5 N=5000 bench/team.sh
#
# Needs the release binaries (bench/run.sh builds them) and redis-server (Debian's package;
# .ci/run installs it); without redis-server the Redis target is skipped and said so.
# Everything runs on loopback; the proxies' homes and Redis live in a temporary directory
# removed at the end. Pinning as in run.sh: proxies on PROXY_CORE, client and upstream on
# CLIENT_CORE. Output: one line per target with the medians over rounds of p50 and p99, and
# the added latency of each limited target over the unlimited one; then Redis's own time
# per script call (INFO commandstats) and the size of the key's one-minute window.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
measuring_script team.sh
ROUNDS="${ROUNDS:-3}" N="${N:-2000}" WARMUP=200
ADMIN=bench-admin-key-0123456789
cleanup() {
  stop_started
  rm -rf "$OUT"
}
trap cleanup EXIT
require_binaries
pin_cores
wait_http() { # url
  for _ in $(seq 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done
  log "no answer from $1"; return 1
}

start_fixed_upstream

# start_proxy NAME [ENV...]: a ccproxy for the bench provider with its own home; sets PORT.
start_proxy() {
  local name="$1"; shift
  PORT="$(free_port)"
  mkdir -p "$OUT/$name-home"
  env HOME="$OUT/$name-home" PROVIDER=bench "BENCH_BASE_URL=http://$UPSTREAM/v1" BENCH_MODEL=bench-model \
    BENCH_API_KEY=x "CCPROXY_PORT=$PORT" "$@" "${PIN_PROXY[@]}" "$CCPROXY_BIN" serve \
    2> "$OUT/$name.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PORT/health"
}

# limited NAME [ENV...]: a team-mode ccproxy with one developer key under rpm, tpm and a
# daily spend limit, none of which the run reaches; sets PORT and KEY.
limited() {
  local name="$1"; shift
  start_proxy "$name" "CCPROXY_API_KEY=$ADMIN" "$@"
  KEY="$(curl -sf "http://127.0.0.1:$PORT/keys" -H "x-api-key: $ADMIN" -H 'content-type: application/json' \
    -d '{"name": "bench", "rpm": 100000000, "tpm": 100000000000}' | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')"
  [ -n "$KEY" ] || { log "$name: no developer key created (log: $OUT/$name.log)"; exit 1; }
  curl -sf "http://127.0.0.1:$PORT/v1/organizations/spend_limits" -H "x-api-key: $ADMIN" \
    -H 'content-type: application/json' \
    -d '{"scope": {"type": "user", "user_id": "bench"}, "amount": "100000000", "period": "daily"}' >/dev/null \
    || { log "$name: spend limit refused"; exit 1; }
}

TARGETS=()
declare -A URL AUTH
start_proxy unlimited
TARGETS+=(unlimited) URL[unlimited]="http://127.0.0.1:$PORT/v1/messages" AUTH[unlimited]="x-api-key: x"
limited embedded
TARGETS+=(embedded) URL[embedded]="http://127.0.0.1:$PORT/v1/messages" AUTH[embedded]="authorization: Bearer $KEY"
if command -v redis-server >/dev/null; then
  RPORT="$(free_port)"
  "${PIN_CLIENT[@]}" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$OUT" > "$OUT/redis.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
  limited redis "CCPROXY_REDIS_URL=redis://127.0.0.1:$RPORT/0"
  TARGETS+=(redis) URL[redis]="http://127.0.0.1:$PORT/v1/messages" AUTH[redis]="authorization: Bearer $KEY"
else
  log "redis-server is not installed: the Redis target is skipped"
fi

: > "$OUT/results.jsonl"
for round in $(seq "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    "${PIN_CLIENT[@]}" "$BIN/loadgen" latency --url "${URL[$t]}" --body "$BENCH_DIR/bodies/small.json" \
      -H "${AUTH[$t]}" -H "anthropic-version: 2023-06-01" --target "$t" --label small \
      -n "$N" --warmup "$WARMUP" >> "$OUT/results.jsonl" 2>> "$OUT/loadgen.log"
  done
  log "round $round/$ROUNDS done"
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
figure() { # target field
  grep "\"target\":\"$1\"" "$OUT/results.jsonl" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" | median
}
printf '%-10s %12s %12s %24s\n' target "p50 µs" "p99 µs" "added p50 over unlimited"
base="$(figure unlimited p50_us)"
for t in "${TARGETS[@]}"; do
  p50="$(figure "$t" p50_us)" p99="$(figure "$t" p99_us)"
  printf '%-10s %12s %12s %24s\n' "$t" "$p50" "$p99" "$(awk -v a="$p50" -v b="$base" 'BEGIN { printf "%+.1f µs", a - b }')"
done
if [ -n "${RPORT:-}" ]; then
  # Redis's own time per script call, and how full the key's window got: the figures that
  # explain the Redis row without depending on the machine's load.
  read -r calls per_call < <(redis-cli -p "$RPORT" info commandstats | tr -d '\r' |
    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),usec=[0-9]*,usec_per_call=\([0-9.]*\).*/\1 \2/p') || true
  entries="$(redis-cli -p "$RPORT" zcard ccproxy:window:bench)"
  echo "redis: $calls EVALSHA at $per_call µs each of Redis's own time; $entries entries in the key's window at the end"
fi
errors="$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$OUT/results.jsonl" | awk '{ s += $1 } END { print s + 0 }')"
[ "$errors" = 0 ] || { log "$errors requests failed (logs were in $OUT)"; exit 1; }
