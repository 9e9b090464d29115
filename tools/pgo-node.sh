#!/usr/bin/env bash
# A profile of the Node addon at work, for a profile-guided release build (rustc's
# -Cprofile-generate and -Cprofile-use, as pydantic-core's wheels are built): builds the addon
# instrumented, the same way as the release build will be, runs tools/pgo/train-node.mjs with
# it, merges the counts, and prints the profile's path.
#   tools/pgo-node.sh [NAPI BUILD ARGS]   e.g. --cross-compile --target x86_64-unknown-linux-gnu.2.17
# tools/dist.sh and bench/node/run.sh then build with RUSTFLAGS=-Cprofile-use=<that path> and the
# same arguments: a profile taken from a build made another way (native against zig-linked) did
# not speed it up.
#
# Why: a sequential Node call on hyper's machinery runs fewer instructions than the retired
# hand-written path but misses the instruction cache more (callgrind's cache model, per call:
# 5,922 against 4,452 I1 misses; 4,839 laid out by profile). Profile-guided, a native release
# build takes 87.7 against 110.6 µs of CPU per sequential call, the hand-written path 91.9
# (medians of 6 interleaved rounds, bench/node/RESULTS.md, 2026-12-07).
#
# The instrumented build lives in target/pgo-node. A cross build links through tools/pgo/cross-cc.sh
# (cargo-zigbuild's wrapper cannot take rustc's "-u" for the profiler runtime). llvm-profdata
# comes from rustup's llvm-tools component, added when missing. The file name carries a hash of
# the profile, so a new profile rebuilds what it optimises.
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
FLAGS="-Cprofile-generate=$OUT/raw"
case " $* " in *" --cross-compile "*) FLAGS="$FLAGS -Clinker=$ROOT/tools/pgo/cross-cc.sh -Clinker-flavor=gcc" ;; esac
RUSTFLAGS="$FLAGS" CARGO_TARGET_DIR="$OUT/target" \
  npx napi build --platform --release "$@" --output-dir "$OUT/package" --js native.js --dts native.d.ts >&2
# The package's own files (package.json's "files"), beside the addon and native.js just built.
for file in package.json $(node -p "require('./package.json').files.filter((f) => !f.includes('*')).join(' ')"); do
  [ -e "$OUT/package/$file" ] || cp "$file" "$OUT/package/"
done
node "$ROOT/tools/pgo/train-node.mjs" "$OUT/package" >&2

"$PROFDATA" merge -o "$OUT/merged.profdata" "$OUT/raw"
PROFILE="$OUT/ivschat-node-$(sha256sum "$OUT/merged.profdata" | cut -c1-16).profdata"
rm -f "$OUT"/ivschat-node-*.profdata
mv "$OUT/merged.profdata" "$PROFILE"
echo "$PROFILE"
