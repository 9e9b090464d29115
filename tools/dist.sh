#!/usr/bin/env bash
# `make dist`: the release artifacts in dist/ (release builds in target/dist-build, linked against
# glibc 2.17 by zig), then tools/test-dist.sh installs and runs each one.
#   dist/python/  abi3 wheel (manylinux2014, checked by auditwheel) and sdist
#   dist/npm/     ivschat-<v>.tgz and ivschat-linux-x64-gnu-<v>.tgz (its optional dependency;
#                 the addon profile-guided: tools/pgo-node.sh)
#   dist/maven/   a Maven repository: dev.ivschat:ivschat:<v> JAR (library under linux-x86-64/),
#                 -sources and -javadoc JARs, consumer POM
# Android (AAR) and iOS (XCFramework) need toolchains this machine lacks: see
# bindings-swift/android/build-aar.sh and bindings-swift/swift/release-swiftpm.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="${IVSCHAT_DIST:-$ROOT/dist}"
# Debug tools (uniffi-bindgen, ivschat-local) go to the test builds' target dir, which `make test`
# reuses; the release builds to their own.
DEBUG_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="${IVSCHAT_DIST_TARGET:-$ROOT/target/dist-build}"
TOOLS="$ROOT/target/dist-tools"
TARGET=x86_64-unknown-linux-gnu
GLIBC=2.17
STAGE="$CARGO_TARGET_DIR/stage"

step() { printf '\n==> %s\n' "$*"; }

step "release tools (tools/dist-requirements.txt) in $TOOLS"
stamp="$TOOLS/.installed-$(sha256sum "$ROOT/tools/dist-requirements.txt" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tools/dist-requirements.txt"
  touch "$stamp"
fi
# cargo-zigbuild finds zig through `python3 -m ziglang` of this venv.
export PATH="$TOOLS/bin:$PATH"

rm -rf "$DIST" "$STAGE"
mkdir -p "$DIST/python" "$DIST/npm" "$DIST/maven" "$STAGE"

step "Python: abi3 wheel for manylinux2014 (maturin --zig), sdist"
(cd "$ROOT/bindings-python" &&
  maturin build --release --zig --compatibility manylinux2014 --target "$TARGET" --out "$DIST/python" &&
  maturin sdist --out "$DIST/python")
auditwheel show "$DIST"/python/*.whl

step "Node: a profile of the addon at work (tools/pgo-node.sh: an instrumented build as below, a training run)"
NODE_BUILD=(--cross-compile --target "$TARGET.$GLIBC")
NODE_PROFILE="$("$ROOT/tools/pgo-node.sh" "${NODE_BUILD[@]}")"

step "Node: the addon for linux-x64-gnu against glibc $GLIBC (napi build --cross-compile: cargo-zigbuild), laid out by that profile"
cd "$ROOT/bindings-node"
RUSTFLAGS="-Cprofile-use=$NODE_PROFILE" npx napi build --platform --release "${NODE_BUILD[@]}" \
  --output-dir "$STAGE/node-build" --js native.js --dts native.d.ts
node "$ROOT/tools/dist/npm-packages.js" "$ROOT/bindings-node" "$STAGE/node-build" "$STAGE/npm" |
  while read -r pkg; do (cd "$pkg" && npm pack --silent --pack-destination "$DIST/npm" >/dev/null); done
ls "$DIST/npm"

step "JVM: the UniFFI library against glibc $GLIBC, the Kotlin bindings generated from it, JARs and POM"
cd "$ROOT"
# uniffi-bindgen reads the metadata from the symbol table: it reads the library built unstripped
# (-C strip=none for this crate alone), and the JAR carries a stripped copy.
cargo-zigbuild rustc --release -p ivschat-uniffi --lib --crate-type cdylib --target "$TARGET.$GLIBC" -- -C strip=none
CARGO_TARGET_DIR="$DEBUG_TARGET" cargo build -p ivschat-uniffi --features cli --bin uniffi-bindgen
mkdir -p "$STAGE/jvm-lib"
strip --strip-all -o "$STAGE/jvm-lib/libivschat_uniffi.so" "$CARGO_TARGET_DIR/$TARGET/release/libivschat_uniffi.so"
MVN_BUILD="$CARGO_TARGET_DIR/maven"
rm -rf "$MVN_BUILD"
(cd "$ROOT/bindings-swift/kotlin" &&
  mvn -q -B -Dstyle.color=never -Pdist package -Dmaven.test.skip=true \
    -Divschat.dist.build="$MVN_BUILD" -Divschat.native.dir="$STAGE/jvm-lib" \
    -Divschat.native.lib="$CARGO_TARGET_DIR/$TARGET/release/libivschat_uniffi.so" \
    -Duniffi.bindgen="$DEBUG_TARGET/debug/uniffi-bindgen")
VERSION=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$ROOT/bindings-swift/kotlin/pom.xml" | head -n 1)
mvn -q -B -Dstyle.color=never deploy:deploy-file -Durl="file://$DIST/maven" -DrepositoryId=dist \
  -Dfile="$MVN_BUILD/ivschat-$VERSION.jar" -DpomFile="$MVN_BUILD/.flattened-pom.xml" \
  -Dsources="$MVN_BUILD/ivschat-$VERSION-sources.jar" -Djavadoc="$MVN_BUILD/ivschat-$VERSION-javadoc.jar"
find "$DIST/maven" -name "*.jar" -o -name "*.pom" | sort

step "ivschat-local (debug) for tools/test-dist.sh's quickstarts"
CARGO_TARGET_DIR="$DEBUG_TARGET" cargo build -p ivschat-emulator --bin ivschat-local
step "dist/ is ready; tools/test-dist.sh installs and runs each artifact"
