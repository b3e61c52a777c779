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
