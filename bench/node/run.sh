#!/usr/bin/env bash
# Builds the canned server and the release addon (target/bench-build; profile-guided, as make dist
# builds it), installs the package's npm dependencies (@aws-sdk/client-ivschat among them) when
# missing, runs bench.mjs. Run by `make bench`. The release addon replaces bindings-node's test
# build; `make test` rebuilds it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="$ROOT/target/bench-build"
cargo build --release -q -p ivschat-canned-server
cd "$ROOT/bindings-node"
[ -d node_modules/@aws-sdk/client-ivschat ] || npm ci --no-audit --no-fund --loglevel=error
# Profile-guided, as tools/dist.sh builds the published addon.
PROFILE="$("$ROOT/tools/pgo-node.sh")"
RUSTFLAGS="-Cprofile-use=$PROFILE" npx napi build --platform --release --js native.js --dts native.d.ts >/dev/null
node "$ROOT/bench/node/bench.mjs"
