#!/usr/bin/env bash
# Builds the Python package (maturin develop, debug, feature `local`) into bindings-python/.venv
# and runs: pytest (conformance runner, end-to-end sync/async against LocalServer, boto3 oracle,
# errors, threads, fork, cancellation, credentials callbacks, chat rooms, the messaging conformance
# runner) and mypy --strict.
# Last line: "python: N passed, M failed".
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$HERE"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "SKIPPED: python bindings (no python3 on PATH)"; exit 0
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "SKIPPED: python bindings (no cargo on PATH)"; exit 0
fi

VENV="$HERE/.venv"
STAMP="$VENV/.installed-v2"
if [ ! -f "$STAMP" ]; then
  "$PYTHON" -m venv "$VENV" || { echo "python: 0 passed, 1 failed"; exit 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r "$ROOT/tools/requirements.txt" "maturin>=1.8,<2" "mypy>=1.10" "websockets>=15" \
    || { echo "pip install failed"; echo "python: 0 passed, 1 failed"; exit 1; }
  touch "$STAMP"
fi

echo "==> maturin develop (debug, features from pyproject.toml)"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
if ! "$VENV/bin/maturin" develop --quiet >"$LOG" 2>&1 \
   || ! "$VENV/bin/python" -c "import ivschat, ivschat._native"; then
  tail -n 40 "$LOG"; echo "building the extension failed"; echo "python: 0 passed, 1 failed"; exit 1
fi
echo "==> pytest"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests 2>&1 | tee "$LOG"
last=$(grep -E '[0-9]+ (passed|failed)' "$LOG" | tail -n 1)
passed=$(grep -Eo '[0-9]+ passed' <<<"$last" | awk '{print $1}'); passed=${passed:-0}
failed=$(grep -Eo '[0-9]+ (failed|error|errors)' <<<"$last" | awk '{s+=$1} END {print s+0}')
[ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && failed=1

echo "==> mypy --strict (package, examples/python, typed test file)"
if "$VENV/bin/mypy" --strict --no-incremental python/ivschat "$ROOT/examples/python" tests/test_typed.py; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

echo "python: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
