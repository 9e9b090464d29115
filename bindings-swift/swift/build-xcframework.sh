#!/usr/bin/env bash
# Builds build/ivschatFFI.xcframework (iOS device, iOS simulator, macOS) from the release static
# library and generates the Swift sources. macOS with Xcode only; it cannot run on Linux.
# Package.swift switches to the binaryTarget when the XCFramework exists.
#
# One static library per app (uniffi#1710): if the app links other UniFFI crates, build one
# combined crate that depends on all of them instead of several XCFrameworks.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[ "$(uname -s)" = "Darwin" ] || { echo "build-xcframework.sh needs macOS and Xcode" >&2; exit 1; }

TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${TARGETS[@]}"
cd "$ROOT"
for t in "${TARGETS[@]}"; do
  cargo build --release -p ivschat-uniffi --lib --target "$t"
done
cargo build -p ivschat-uniffi --features cli --bin uniffi-bindgen

OUT="$HERE/build"
rm -rf "$OUT" && mkdir -p "$OUT/headers" "$OUT/lib"
(cd "$ROOT/bindings-swift" && "$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate \
  --library "$CARGO_TARGET_DIR/aarch64-apple-darwin/release/libivschat_uniffi.a" \
  --language swift --out-dir "$OUT/gen")
cp "$OUT/gen/Ivschat.swift" "$HERE/Sources/Ivschat/Ivschat.swift"
cp "$OUT/gen/ivschatFFI.h" "$OUT/headers/"
cp "$OUT/gen/ivschatFFI.modulemap" "$OUT/headers/module.modulemap"

lib() { echo "$CARGO_TARGET_DIR/$1/release/libivschat_uniffi.a"; }
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$OUT/lib/ios-sim.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$OUT/lib/macos.a"

xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$OUT/headers" \
  -library "$OUT/lib/ios-sim.a" -headers "$OUT/headers" \
  -library "$OUT/lib/macos.a" -headers "$OUT/headers" \
  -output "$OUT/ivschatFFI.xcframework"
echo "built $OUT/ivschatFFI.xcframework"
