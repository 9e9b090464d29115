#!/usr/bin/env bash
# Builds the canned server and the core benchmark (release, target/bench-build), starts the
# server on a free port, runs the benchmark against it, stops the server. Run by `make bench`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="$ROOT/target/bench-build"
CARGO_TARGET_DIR="$TARGET" cargo build --release -q -p ivschat-core-bench
source "$ROOT/tools/start-server.sh"
start_canned_server
"$TARGET/release/ivschat-core-bench" "$SERVER_URL" "${BENCH_CALLS:-2000}" "${BENCH_ROUNDS:-7}"
