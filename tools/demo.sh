#!/usr/bin/env bash
# Starts ivschat-local on a free port, runs the quickstart(s) against it, stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
source "$ROOT/tools/start-server.sh"
OUT="$(mktemp)"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && { kill "$SERVER_PID"; wait "$SERVER_PID"; } 2>/dev/null; rm -f "$OUT"' EXIT
start_server "$OUT" "$TARGET/debug/ivschat-local" --port 0
ENDPOINT=$SERVER_URL
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
