#!/usr/bin/env bash
# Builds the canned server and a release wheel (target/bench-build), installs the wheel and
# boto3 into a venv of their own (target/bench-build/python-venv), runs bench.py. Run by
# `make bench`; BENCH_QUICK=1 passes --quick.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="$ROOT/target/bench-build"
VENV="$TARGET/python-venv"
export CARGO_TARGET_DIR="$TARGET"
cargo build --release -q -p ivschat-canned-server
if [ ! -x "$VENV/bin/maturin" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r "$ROOT/tools/requirements.txt" "maturin>=1.8,<2"
fi
rm -rf "$TARGET/bench-wheels"
"$VENV/bin/maturin" build --quiet --release -m "$ROOT/bindings-python/Cargo.toml" \
  --out "$TARGET/bench-wheels"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps \
  "$TARGET"/bench-wheels/ivschat-*.whl
"$VENV/bin/python" "$ROOT/bench/python/bench.py" ${BENCH_QUICK:+--quick}
