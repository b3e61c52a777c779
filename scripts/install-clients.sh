#!/usr/bin/env bash
# Install the real Anthropic clients that ccproxy's end-to-end tests drive:
#   - the official `anthropic` Python SDK, in a venv at target/clients/venv
#   - the Claude Code CLI (npm @anthropic-ai/claude-code), at target/clients/node
# Idempotent and quiet: when the pinned versions are already there it only
# verifies them. Works with nothing but the PyPI and npm registries reachable
# (the npm package ships its native binary as a platform optionalDependency;
# its postinstall only links that binary, it downloads nothing).
# Last lines of output: the absolute paths of the verified `python` and `claude`.
#
# Env overrides: ANTHROPIC_PY_VERSION, CLAUDE_CODE_VERSION, PYTHON (interpreter
# used to create the venv).
set -euo pipefail

ANTHROPIC_PY_VERSION="${ANTHROPIC_PY_VERSION:-2.13.0}"
CLAUDE_CODE_VERSION="${CLAUDE_CODE_VERSION:-2.1.331}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
CLIENTS="$ROOT/target/clients"
VENV="$CLIENTS/venv"
NODE_PREFIX="$CLIENTS/node"
PY="$VENV/bin/python"
CLAUDE="$NODE_PREFIX/node_modules/.bin/claude"

log() { echo "install-clients: $*" >&2; }

mkdir -p "$CLIENTS"

# --- Python SDK ---------------------------------------------------------------
if [ ! -x "$PY" ]; then
    log "creating venv $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
fi
have_py="$("$PY" -c 'import importlib.metadata as m; print(m.version("anthropic"))' 2>/dev/null || true)"
if [ "$have_py" != "$ANTHROPIC_PY_VERSION" ]; then
    log "installing anthropic==$ANTHROPIC_PY_VERSION (had: ${have_py:-none})"
    "$PY" -m pip install --quiet --disable-pip-version-check "anthropic==$ANTHROPIC_PY_VERSION"
fi

# --- Claude Code CLI ------------------------------------------------------------
have_cc="$(node -p "require('$NODE_PREFIX/node_modules/@anthropic-ai/claude-code/package.json').version" 2>/dev/null || true)"
if [ "$have_cc" != "$CLAUDE_CODE_VERSION" ] || [ ! -x "$CLAUDE" ]; then
    command -v npm >/dev/null || { log "npm not found (apt-get install -y nodejs npm)"; exit 1; }
    log "installing @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION (had: ${have_cc:-none})"
    mkdir -p "$NODE_PREFIX"
    npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error \
        --no-save "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >/dev/null
fi
# If npm ran with ignore-scripts, bin/claude.exe is still the small placeholder:
# run the package's own postinstall, which copies the native binary over it.
CC_PKG="$NODE_PREFIX/node_modules/@anthropic-ai/claude-code"
if [ "$(stat -c %s "$CC_PKG/bin/claude.exe" 2>/dev/null || echo 0)" -lt 1000000 ]; then
    log "linking the native claude binary (postinstall did not run)"
    (cd "$CC_PKG" && node install.cjs >/dev/null)
fi

# --- Verify -------------------------------------------------------------------
got_py="$("$PY" -c 'import anthropic; print(anthropic.__version__)')"
[ "$got_py" = "$ANTHROPIC_PY_VERSION" ] || { log "anthropic version $got_py != $ANTHROPIC_PY_VERSION"; exit 1; }
"$PY" --version >/dev/null
# `claude --version` is local only (no network); keep it off the network anyway.
got_cc="$(DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    timeout 60 "$CLAUDE" --version)"
case "$got_cc" in
    "$CLAUDE_CODE_VERSION"*) ;;
    *) log "claude --version said '$got_cc', expected $CLAUDE_CODE_VERSION"; exit 1 ;;
esac

echo "$PY"
echo "$CLAUDE"
