#!/usr/bin/env bash
# Builds the Android library: OUT/ivschat-android-<version>.aar and its POM.
#   * the UniFFI library for each ABI through cargo-ndk (OUT/jniLibs/<abi>/libivschat_uniffi.so,
#     in the AAR as jni/<abi>/), without the default credentials chain (apps pass a provider);
#   * classes.jar: the Kotlin bindings' classes of the JVM JAR (`make dist`), less its linux-x86-64/;
#   * AndroidManifest.xml (dev.ivschat, INTERNET) and consumer ProGuard rules keeping JNA's and the
#     bindings' classes, which JNA reaches by reflection.
# The POM depends on JNA's AAR (net.java.dev.jna:jna:<v>@aar) and kotlinx-coroutines-android.
#
#   build-aar.sh [--jni-libs DIR] [--jar JAR] [--out DIR]
# Needs the Android NDK (ANDROID_NDK_HOME), cargo-ndk (`cargo install cargo-ndk`) and the rustup
# targets; --jni-libs DIR packages DIR/<abi>/*.so instead of building them.
# --jar defaults to dist/maven/dev/ivschat/ivschat/<version>/ivschat-<version>.jar.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

ABIS=(arm64-v8a armeabi-v7a x86_64)
RUST_TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
MIN_SDK=24
JNA_VERSION=5.17.0
COROUTINES_VERSION=1.10.2
KOTLIN_VERSION=2.2.21
VERSION=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$ROOT/bindings-swift/kotlin/pom.xml" | head -n 1)

JNI_LIBS=""
JAR="$ROOT/dist/maven/dev/ivschat/ivschat/$VERSION/ivschat-$VERSION.jar"
OUT="$ROOT/dist/android"
while [ $# -gt 0 ]; do
  case "$1" in
    --jni-libs) JNI_LIBS="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "usage: build-aar.sh [--jni-libs DIR] [--jar JAR] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -f "$JAR" ] || { echo "build-aar.sh: no JVM JAR at $JAR (run make dist, or pass --jar)" >&2; exit 1; }

if [ -z "$JNI_LIBS" ]; then
  [ -n "${ANDROID_NDK_HOME:-}" ] && [ -d "$ANDROID_NDK_HOME" ] || {
    echo "build-aar.sh needs the Android NDK: set ANDROID_NDK_HOME (or pass --jni-libs DIR)" >&2; exit 1; }
  command -v cargo-ndk >/dev/null 2>&1 || {
    echo "build-aar.sh needs cargo-ndk: cargo install cargo-ndk (or pass --jni-libs DIR)" >&2; exit 1; }
  rustup target add "${RUST_TARGETS[@]}"
  JNI_LIBS="$OUT/jniLibs"
  targets=()
  for abi in "${ABIS[@]}"; do targets+=(-t "$abi"); done
  (cd "$ROOT" && cargo ndk "${targets[@]}" --platform "$MIN_SDK" -o "$JNI_LIBS" \
    build --release -p ivschat-uniffi --lib)
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
for abi in "${ABIS[@]}"; do
  so="$JNI_LIBS/$abi/libivschat_uniffi.so"
  [ -f "$so" ] || { echo "build-aar.sh: missing $so" >&2; exit 1; }
  mkdir -p "$STAGE/jni/$abi"
  cp "$so" "$STAGE/jni/$abi/"
done

cat >"$STAGE/AndroidManifest.xml" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="dev.ivschat">
    <uses-sdk android:minSdkVersion="$MIN_SDK" />
    <uses-permission android:name="android.permission.INTERNET" />
</manifest>
EOF
cat >"$STAGE/proguard.txt" <<'EOF'
-keep class com.sun.jna.** { *; }
-keep class * implements com.sun.jna.** { *; }
-keep class dev.ivschat.** { *; }
-dontwarn java.awt.**
EOF
: >"$STAGE/R.txt"
python3 - "$JAR" "$STAGE/classes.jar" <<'EOF'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        if item.filename.startswith(("linux-x86-64/", "META-INF/maven/")):
            continue
        zout.writestr(item, zin.read(item.filename))
EOF

mkdir -p "$OUT"
AAR="$OUT/ivschat-android-$VERSION.aar"
rm -f "$AAR"
(cd "$STAGE" && python3 -m zipfile -c "$AAR" AndroidManifest.xml classes.jar jni R.txt proguard.txt)
cat >"$OUT/ivschat-android-$VERSION.pom" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.ivschat</groupId>
  <artifactId>ivschat-android</artifactId>
  <version>$VERSION</version>
  <packaging>aar</packaging>
  <dependencies>
    <dependency><groupId>net.java.dev.jna</groupId><artifactId>jna</artifactId><version>$JNA_VERSION</version><type>aar</type></dependency>
    <dependency><groupId>org.jetbrains.kotlinx</groupId><artifactId>kotlinx-coroutines-android</artifactId><version>$COROUTINES_VERSION</version></dependency>
    <dependency><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-stdlib</artifactId><version>$KOTLIN_VERSION</version></dependency>
  </dependencies>
</project>
EOF
echo "built $AAR"
