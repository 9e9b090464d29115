#!/usr/bin/env bash
# Starts ivschat-local on a free port, runs the quickstart(s) against it, stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$(mktemp)"
"$TARGET/debug/ivschat-local" --port 0 >"$OUT" &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$OUT" && break
  kill -0 "$PID" 2>/dev/null || { echo "ivschat-local exited early" >&2; exit 1; }
  sleep 0.1
done
ENDPOINT="$(sed -n 's/^ivschat-local listening on //p' "$OUT" | head -n 1)"
[ -n "$ENDPOINT" ] || { echo "ivschat-local did not start" >&2; exit 1; }
echo "ivschat-local is listening on $ENDPOINT"
echo
echo "--- Rust quickstart (core/examples/quickstart.rs)"
IVSCHAT_ENDPOINT="$ENDPOINT" "$TARGET/debug/examples/quickstart"
echo
echo "--- Rust chat (core/examples/chat.rs)"
IVSCHAT_ENDPOINT="$ENDPOINT" "$TARGET/debug/examples/chat"

# Each binding's quickstart, when the binding is there: bindings-*/demo.sh ENDPOINT.
for demo in "$ROOT"/bindings-python/demo.sh "$ROOT"/bindings-node/demo.sh; do
  [ -x "$demo" ] || continue
  echo
  "$demo" "$ENDPOINT"
done
