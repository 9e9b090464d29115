#!/usr/bin/env bash
# Our ChatRoom against the official JavaScript client (amazon-ivs-chat-messaging), as receivers in
# one ivschat-local room: builds ivschat-local and the bench (release), installs the official
# client if missing (tools/oracle/messaging), runs the bench. Run by `make bench`; arguments pass
# through (e.g. --ours 100 --official 100 --seconds 10). BENCH_TARGET overrides the target dir.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${BENCH_TARGET:-$ROOT/target/bench-build}"
ORACLE="$ROOT/tools/oracle/messaging"
command -v node >/dev/null || { echo "bench/messaging: node (20+) is needed" >&2; exit 1; }
[ -d "$ORACLE/node_modules/amazon-ivs-chat-messaging" ] || npm ci --prefix "$ORACLE" --no-audit --no-fund
CARGO_TARGET_DIR="$TARGET" cargo build --release -q -p ivschat-emulator --bin ivschat-local \
  -p ivschat-messaging-bench --bin ivschat-chatroom-bench
ulimit -n 8192 2>/dev/null || true # about 2 × (receivers + senders) sockets
exec "$TARGET/release/ivschat-chatroom-bench" --emulator "$TARGET/release/ivschat-local" \
  --oracle-dir "$ORACLE" "$@"
