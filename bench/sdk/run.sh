#!/usr/bin/env bash
# ivschat against aws-sdk-ivschat: throughput on one canned server (sdk-throughput), then the clean
# release build time and stripped size of the same hello world with each (default features).
# Run by `make bench`; each project has its own Cargo.lock and target dir under target/sdk-bench.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/target/sdk-bench"
mkdir -p "$OUT"

CARGO_TARGET_DIR="$OUT/throughput" cargo build --release -q --manifest-path "$HERE/throughput/Cargo.toml"
source "$ROOT/tools/start-server.sh"
start_canned_server
"$OUT/throughput/release/sdk-throughput" "$SERVER_URL" "${BENCH_ROUNDS:-5}"

# Clean builds, alternating, so the machine's load hits both alike. Dependencies are downloaded
# first (cargo fetch) so only compilation is timed.
echo
echo "| hello world | clean release build (s) | stripped binary (bytes) |"
echo "|---|---|---|"
for project in hello-ivschat hello-sdk; do
  cargo fetch -q --manifest-path "$HERE/$project/Cargo.toml"
done
for round in $(seq "${BUILD_ROUNDS:-1}"); do
  for project in hello-ivschat hello-sdk; do
    target="$OUT/$project"
    rm -rf "$target"
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$target" cargo build --release -q --manifest-path "$HERE/$project/Cargo.toml"
    end=$(date +%s.%N)
    size=$(stat -c %s "$target/release/$project")
    printf '| %s (round %s) | %.1f | %s |\n' "$project" "$round" "$(echo "$end - $start" | bc)" "$size"
  done
done
