#!/usr/bin/env bash
# Builds the canned server and the core benchmark (release, target/bench-build), starts the
# server on a free port, runs the benchmark against it, stops the server. Run by `make bench`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="$ROOT/target/bench-build"
CARGO_TARGET_DIR="$TARGET" cargo build --release -q -p ivschat-canned-server -p ivschat-core-bench
out="$(mktemp)"
"$TARGET/release/ivschat-canned-server" --threads 1 >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$out" && break; sleep 0.1; done
url="$(sed -n 's/.*listening on //p' "$out")"
"$TARGET/release/ivschat-core-bench" "$url" "${BENCH_CALLS:-2000}" "${BENCH_ROUNDS:-7}"
