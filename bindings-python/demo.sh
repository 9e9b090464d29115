#!/usr/bin/env bash
# Runs examples/python/quickstart.py (control plane) and examples/python/chat.py (two users join a
# room over the messaging WebSocket and exchange a message) against ENDPOINT (ivschat-local,
# credentials test/test).
# Builds the package into bindings-python/.venv first (maturin develop) when needed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ENDPOINT="${1:?usage: demo.sh ENDPOINT}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
echo "--- Python quickstart (examples/python/quickstart.py)"
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIPPED: Python quickstart (no python3)"; exit 0
fi
VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/maturin" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.8,<2"
fi
echo "==> building the Python package (maturin develop; the first build takes a few minutes)"
(cd "$HERE" && "$VENV/bin/maturin" develop) || {
  echo "building the Python package failed; rerun: (cd bindings-python && .venv/bin/maturin develop)" >&2; exit 1; }
"$VENV/bin/python" "$ROOT/examples/python/quickstart.py" "$ENDPOINT"
echo
echo "--- Python chat (examples/python/chat.py)"
"$VENV/bin/python" "$ROOT/examples/python/chat.py" "$ENDPOINT"
