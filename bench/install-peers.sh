#!/usr/bin/env bash
# Install the peers that bench/run.sh --peers compares ccproxy with, into bench/.peers
# (gitignored). Needs only the PyPI, npm and crates.io registries. Idempotent.
#
#   LiteLLM proxy 1.106.12   (pip, venv)   -- 1.108+ needs litellm-proxy, absent from PyPI here
#   claude-code-router 1.0.73 (npm)        -- the 1.0.x line runs on Node 20
#   anyllm_proxy 0.17.0      (cargo install, no default features; a long build)
#
# Usage: bench/install-peers.sh [litellm] [ccr] [anyllm]   (default: litellm ccr)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="$BENCH_DIR/.peers"
LITELLM_VERSION="${LITELLM_VERSION:-1.106.12}"
CCR_VERSION="${CCR_VERSION:-1.0.73}"
ANYLLM_VERSION="${ANYLLM_VERSION:-0.17.0}"
mkdir -p "$PEERS"
want=("$@"); [ ${#want[@]} -gt 0 ] || want=(litellm ccr)
for w in "${want[@]}"; do
  case "$w" in
    litellm)
      if ! "$PEERS/litellm-venv/bin/python" -c "import litellm, importlib.metadata as m; assert m.version('litellm') == '$LITELLM_VERSION'" 2>/dev/null; then
        python3 -m venv "$PEERS/litellm-venv"
        nice -n 10 "$PEERS/litellm-venv/bin/pip" install -q "litellm[proxy]==$LITELLM_VERSION"
      fi
      echo "litellm $LITELLM_VERSION: $PEERS/litellm-venv/bin/litellm" ;;
    ccr)
      if [ ! -f "$PEERS/ccr/node_modules/@musistudio/claude-code-router/dist/cli.js" ]; then
        mkdir -p "$PEERS/ccr"
        nice -n 10 npm install --no-audit --no-fund --silent --prefix "$PEERS/ccr" \
          "@musistudio/claude-code-router@$CCR_VERSION"
      fi
      echo "claude-code-router $CCR_VERSION: $PEERS/ccr/node_modules/@musistudio/claude-code-router/dist/cli.js" ;;
    anyllm)
      if [ ! -x "$PEERS/anyllm/bin/anyllm_proxy" ]; then
        nice -n 19 cargo install anyllm_proxy --version "$ANYLLM_VERSION" --locked \
          --no-default-features -j 1 --root "$PEERS/anyllm"
      fi
      ls "$PEERS/anyllm/bin" ;;
    *) echo "install-peers: unknown peer $w" >&2; exit 2 ;;
  esac
done
