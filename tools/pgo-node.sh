#!/usr/bin/env bash
# A profile of the Node addon at work, for a profile-guided release build (rustc's
# -Cprofile-generate and -Cprofile-use, as pydantic-core's wheels are built): builds the addon
# instrumented, runs tools/pgo/train-node.mjs with it, merges the counts, and prints the
# profile's path. Then: RUSTFLAGS=-Cprofile-use=<path> npx napi build --platform --release ...
#
# Why: a sequential Node call on hyper's machinery runs fewer instructions than the retired
# hand-written path but misses the instruction cache more (callgrind's cache model, per call:
# 5,922 against 4,452 I1 misses; 4,839 laid out by profile). Profile-guided, a native release
# build takes 87.7 against 110.6 µs of CPU per sequential call, the hand-written path 91.9
# (medians of 6 interleaved rounds, bench/node/RESULTS.md, 2026-12-07).
#
# Not yet used by `make dist`: its addon is linked by zig against glibc 2.17, and that build did
# not get faster with this profile, nor can it be instrumented itself (cargo-zigbuild's wrapper
# takes rustc's `-u __llvm_profile_runtime` for a file). See bench/node/RESULTS.md.
#
# The instrumented build lives in target/pgo-node. llvm-profdata comes from rustup's llvm-tools
# component, added when missing. The file name carries a hash of the profile, so a new profile
# rebuilds what it optimises.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/target/pgo-node"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
PROFDATA="$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata"
if [ ! -x "$PROFDATA" ]; then
  rustup component add llvm-tools >&2
fi

rm -rf "$OUT/raw" "$OUT/package"
mkdir -p "$OUT/raw" "$OUT/package"
cd "$ROOT/bindings-node"
[ -x node_modules/.bin/napi ] || npm ci --no-audit --no-fund --loglevel=error >&2
RUSTFLAGS="-Cprofile-generate=$OUT/raw" CARGO_TARGET_DIR="$OUT/target" \
  npx napi build --platform --release --output-dir "$OUT/package" --js native.js --dts native.d.ts >&2
cp index.js messaging.js generated.js load-native.js package.json "$OUT/package/"
node "$ROOT/tools/pgo/train-node.mjs" "$OUT/package" >&2

"$PROFDATA" merge -o "$OUT/merged.profdata" "$OUT/raw"
PROFILE="$OUT/ivschat-node-$(sha256sum "$OUT/merged.profdata" | cut -c1-16).profdata"
rm -f "$OUT"/ivschat-node-*.profdata
mv "$OUT/merged.profdata" "$PROFILE"
echo "$PROFILE"
