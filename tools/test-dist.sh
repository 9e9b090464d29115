#!/usr/bin/env bash
# Installs each artifact of dist/ (`make dist`) into a clean environment (env -i PATH=/usr/bin:/bin,
# a fresh HOME, no cargo or rustc) and runs a quickstart in it against ivschat-local:
#   python   a venv per Python 3.9+ on the machine, `pip install --no-index` from dist/python
#   node     a fresh npm project with the two tarballs (offline): CommonJS, ESM (examples/node),
#            tsc --strict; the error without the platform package and on a platform with no binary
#   maven    a fresh Kotlin Maven project depending on dev.ivschat:ivschat from dist/maven
#   android  build-aar.sh's AAR layout from fake .so files; ios: Package.swift checked as text
# Prints the table of the artifacts (size, tags and glibc floor, where installed, result), the
# SKIPPED lines, and last "dist: N passed, M failed". Nothing to do (exit 0) without dist/.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="${IVSCHAT_DIST:-$ROOT/dist}"
[ -d "$DIST" ] || { echo "SKIPPED: dist tests (no dist/; make dist builds it)"; exit 0; }
CACHE="$ROOT/target/dist-test-cache"   # npm cache and Maven repository, kept between runs
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ivschat-dist.XXXXXX")"
mkdir -p "$WORK/home" "$CACHE"
CLEAN=(env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8)
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)
GLIBC_FLOOR=2.17

PASSED=0 FAILED=0
declare -A GROUP_PASSED GROUP_FAILED
SKIPS=()
ROWS=()
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

check() {  # check GROUP NAME -- command...: output in a log, shown on failure
  local group=$1 name=$2; shift 3
  local log="$WORK/check.log"
  if "$@" >"$log" 2>&1; then
    PASSED=$((PASSED + 1)); GROUP_PASSED[$group]=$(( ${GROUP_PASSED[$group]:-0} + 1 ))
    echo "ok   $name"; grep -E "quickstart|chat|^ivschat" "$log" | sed 's/\x1b\[[0-9;]*m//g; s/^/       /' | head -n 3
  else
    FAILED=$((FAILED + 1)); GROUP_FAILED[$group]=$(( ${GROUP_FAILED[$group]:-0} + 1 ))
    echo "FAIL $name"; tail -n 30 "$log" | sed 's/\x1b\[[0-9;]*m//g; s/^/       /'
  fi
}
result() { echo "${GROUP_PASSED[$1]:-0}/$(( ${GROUP_PASSED[$1]:-0} + ${GROUP_FAILED[$1]:-0} )) checks passed"; }
size() { numfmt --to=iec-i --suffix=B --format=%.1f "$(stat -c %s "$1")"; }
glibc_max() { objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1; }
floor_ok() {  # floor_ok BINARY: needs no glibc newer than $GLIBC_FLOOR
  local max; max=$(glibc_max "$1"); echo "$1: $max"
  [ "$(printf '%s\n%s\n' "${max#GLIBC_}" "$GLIBC_FLOOR" | sort -V | tail -n 1)" = "$GLIBC_FLOOR" ]
}
contains() {  # contains TEXT-FILE PATTERN...: every pattern occurs (grep -E)
  local file=$1; shift
  for p in "$@"; do grep -Eq -- "$p" "$file" || { echo "missing /$p/ in:"; cat "$file"; return 1; }; done
}
BIN="$WORK/bin"; mkdir -p "$BIN"   # binaries taken out of the artifacts for objdump

printf '==> dist tests (%s)\n' "$DIST"
check env "the clean environment has no cargo or rustc" -- \
  "${CLEAN[@]}" sh -c '! command -v cargo && ! command -v rustc'

# ivschat-local on a free port (the test run's debug build, or the dist build's).
LOCAL_BIN="${IVSCHAT_LOCAL_BIN:-}"
for candidate in "$LOCAL_BIN" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/ivschat-local"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] && { LOCAL_BIN=$candidate; break; }
done
[ -x "$LOCAL_BIN" ] || { echo "FAIL no ivschat-local binary (cargo build -p ivschat-emulator)"; echo "dist: 0 passed, 1 failed"; exit 1; }
source "$ROOT/tools/start-server.sh"
start_server "$WORK/server.out" "$LOCAL_BIN" --port 0 2>"$WORK/server.err" ||
  { echo "FAIL ivschat-local did not start"; cat "$WORK/server.err"; echo "dist: 0 passed, 1 failed"; exit 1; }
ENDPOINT=$SERVER_URL
echo "ivschat-local ($LOCAL_BIN) on $ENDPOINT"

# ---------------------------------------------------------------------------------------------
echo; echo "--- Python"
WHEEL=$(ls "$DIST"/python/*.whl 2>/dev/null | head -n 1)
SDIST=$(ls "$DIST"/python/*.tar.gz 2>/dev/null | head -n 1)
if [ -z "$WHEEL" ] || [ -z "$SDIST" ]; then
  check python "dist/python has a wheel and an sdist" -- false
else
  check python "wheel is abi3, manylinux2014 (auditwheel show)" -- bash -c "
    case '$(basename "$WHEEL")' in *-cp39-abi3-*manylinux2014_x86_64*) ;; *) exit 1 ;; esac
    ! unzip -l '$WHEEL' | grep -E '__pycache__|\\.pyc\$'
    '$ROOT/target/dist-tools/bin/auditwheel' show '$WHEEL' | tee '$WORK/auditwheel.txt'
    grep -q 'manylinux_2_17_x86_64' '$WORK/auditwheel.txt'"
  unzip -p "$WHEEL" 'ivschat/_native.abi3.so' >"$BIN/_native.abi3.so"
  check python "wheel's extension needs glibc <= $GLIBC_FLOOR" -- floor_ok "$BIN/_native.abi3.so"
  tar tzf "$SDIST" >"$WORK/sdist.txt"
  check python "sdist carries the sources to build from (pyproject, the binding, the core)" -- \
    contains "$WORK/sdist.txt" '/pyproject.toml$' '/bindings-python/src/lib.rs$' '/core/src/lib.rs$' '/python/ivschat/__init__.py$'
  if command -v cargo >/dev/null 2>&1; then
    check python "sdist's Cargo workspace resolves offline (cargo metadata)" -- bash -c "
      mkdir '$WORK/sdist' && tar xzf '$SDIST' -C '$WORK/sdist' &&
      cargo metadata --format-version 1 --offline --manifest-path '$WORK'/sdist/*/bindings-python/Cargo.toml >/dev/null"
  else
    SKIPS+=("SKIPPED: the sdist's Cargo workspace (no cargo here)")
  fi
  PYTHONS=()
  declare -A SEEN
  for py in /usr/bin/python3.* /usr/local/bin/python3.* "$HOME"/.pyenv/versions/*/bin/python3.*; do
    [[ "$py" =~ /python3\.[0-9]+$ ]] && [ -x "$py" ] || continue
    real=$(readlink -f "$py"); [ -z "${SEEN[$real]:-}" ] || continue; SEEN[$real]=1
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null && PYTHONS+=("$py")
  done
  cp "$ROOT/examples/python/quickstart.py" "$ROOT/examples/python/chat.py" "$WORK/"
  WHERE=()
  for py in "${PYTHONS[@]}"; do
    ver=$("$py" -c 'import platform; print(platform.python_version())')
    venv="$WORK/py-$ver-$(echo "$py" | md5sum | cut -c1-6)"
    WHERE+=("$ver")
    check python "Python $ver ($py): venv, pip install --no-index picks the wheel" -- bash -c "
      ${CLEAN[*]} '$py' -m venv '$venv' &&
      ${CLEAN[*]} '$venv/bin/python' -m pip install -q --disable-pip-version-check --no-index --find-links '$DIST/python' ivschat &&
      ${CLEAN[*]} '$venv/bin/python' -c 'import ivschat, ivschat._native, sys; assert ivschat.__file__.startswith(sys.prefix), ivschat.__file__'"
    check python "Python $ver: examples/python/quickstart.py against ivschat-local" -- \
      "${CLEAN[@]}" "$venv/bin/python" "$WORK/quickstart.py" "$ENDPOINT"
    check python "Python $ver: examples/python/chat.py against ivschat-local" -- \
      "${CLEAN[@]}" "$venv/bin/python" "$WORK/chat.py" "$ENDPOINT"
  done
  ROWS+=("| python/$(basename "$WHEEL") | $(size "$WHEEL") | cp39-abi3-manylinux_2_17_x86_64 (auditwheel); $(glibc_max "$BIN/_native.abi3.so") | a venv per Python: $(printf '%s\n' "${WHERE[@]}" | sort -V | paste -sd, -) | $(result python) |")
  ROWS+=("| python/$(basename "$SDIST") | $(size "$SDIST") | sdist (builds with Rust) | not installed: pip picks the wheel | contents checked |")
fi

# ---------------------------------------------------------------------------------------------
echo; echo "--- Node"
MAIN_TGZ="$DIST/npm/ivschat-$VERSION.tgz"
PLAT_TGZ="$DIST/npm/ivschat-linux-x64-gnu-$VERSION.tgz"
NPM=("${CLEAN[@]}" npm_config_cache="$CACHE/npm" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false)
APP="$WORK/npm-app"
if [ ! -f "$MAIN_TGZ" ] || [ ! -f "$PLAT_TGZ" ]; then
  check node "dist/npm has ivschat-$VERSION.tgz and ivschat-linux-x64-gnu-$VERSION.tgz" -- false
else
  tar xzf "$PLAT_TGZ" -C "$BIN" package/ivschat.linux-x64-gnu.node
  check node "the addon needs glibc <= $GLIBC_FLOOR" -- floor_ok "$BIN/package/ivschat.linux-x64-gnu.node"
  check node "the main package has no addon and lists the platform package as optional" -- bash -c "
    ! tar tzf '$MAIN_TGZ' | grep -q '\\.node\$' &&
    tar xzOf '$MAIN_TGZ' package/package.json | node -e '
      const p = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"));
      if (p.optionalDependencies[\"ivschat-linux-x64-gnu\"] !== \"$VERSION\") process.exit(1)'"
  mkdir -p "$APP"
  echo '{ "name": "ivschat-dist-app", "version": "1.0.0", "private": true }' >"$APP/package.json"
  cp "$ROOT/tools/dist/node/"{quickstart.cjs,quickstart.ts,tsconfig.json} "$ROOT/examples/node/"{quickstart.mjs,chat.mjs} "$APP/"
  check node "npm install --offline of the two tarballs (no registry, no Rust)" -- bash -c "cd '$APP' &&
    ${NPM[*]} npm install --offline --no-save '$MAIN_TGZ' '$PLAT_TGZ' &&
    test -f node_modules/ivschat-linux-x64-gnu/ivschat.linux-x64-gnu.node"
  check node "CommonJS: require('ivschat') quickstart" -- bash -c "cd '$APP' && ${CLEAN[*]} node quickstart.cjs '$ENDPOINT'"
  check node "ESM: examples/node/quickstart.mjs" -- bash -c "cd '$APP' && ${CLEAN[*]} node quickstart.mjs '$ENDPOINT'"
  check node "ESM: examples/node/chat.mjs (ivschat/messaging)" -- bash -c "cd '$APP' && ${CLEAN[*]} node chat.mjs '$ENDPOINT'"
  check node "tsc --strict against the package's types, then run" -- bash -c "cd '$APP' &&
    ${NPM[*]} npm install --prefer-offline --no-save '$MAIN_TGZ' '$PLAT_TGZ' typescript@~5.9.0 @types/node@20 &&
    ${CLEAN[*]} node_modules/.bin/tsc -p . && ${CLEAN[*]} node out/quickstart.js '$ENDPOINT'"
  mv "$APP/node_modules/ivschat-linux-x64-gnu" "$WORK/aside"
  for entry in "require('ivschat')" "import('ivschat').catch((e) => { throw e })"; do
    check node "without the platform package, $entry names linux-x64-gnu and how to build" -- bash -c "cd '$APP' &&
      ! ${CLEAN[*]} node -e \"$entry\" 2>err.txt && cat err.txt &&
      grep -q 'no native addon loaded for linux-x64-gnu' err.txt && grep -q 'build it from source' err.txt &&
      grep -q 'prebuilt ones are linux-x64-gnu' err.txt"
  done
  mv "$WORK/aside" "$APP/node_modules/ivschat-linux-x64-gnu"
  cp "$ROOT/tools/dist/node/fake-arch.cjs" "$APP/"
  check node "on linux-riscv64 (no binary) require('ivschat') names it and how to build" -- bash -c "cd '$APP' &&
    ! ${CLEAN[*]} node -r ./fake-arch.cjs -e \"require('ivschat')\" 2>err.txt && cat err.txt &&
    grep -q 'no native addon loaded for linux-riscv64-gnu' err.txt && grep -q 'npx napi build --platform --release' err.txt"
  ROWS+=("| npm/$(basename "$MAIN_TGZ") | $(size "$MAIN_TGZ") | JavaScript and types; optionalDependencies ivschat-linux-x64-gnu | a fresh npm project (offline install) | $(result node) (CJS, ESM, tsc, no-binary error) |")
  ROWS+=("| npm/$(basename "$PLAT_TGZ") | $(size "$PLAT_TGZ") | linux x64 glibc; $(glibc_max "$BIN/package/ivschat.linux-x64-gnu.node") | node_modules/ivschat-linux-x64-gnu | (with the above) |")
fi

# ---------------------------------------------------------------------------------------------
echo; echo "--- JVM (Maven)"
REPO="$DIST/maven"
ART="$REPO/dev/ivschat/ivschat/$VERSION"
JAR="$ART/ivschat-$VERSION.jar"
M2="$CACHE/m2"
if [ ! -f "$JAR" ]; then
  check maven "dist/maven has dev.ivschat:ivschat:$VERSION" -- false
else
  unzip -p "$JAR" linux-x86-64/libivschat_uniffi.so >"$BIN/libivschat_uniffi.so"
  check maven "the JAR carries the stripped library under linux-x86-64/" -- bash -c "
    file '$BIN/libivschat_uniffi.so' | tee /dev/stderr | grep -q 'ELF 64-bit.*x86-64.*, stripped'"
  check maven "the library needs glibc <= $GLIBC_FLOOR" -- floor_ok "$BIN/libivschat_uniffi.so"
  unzip -l "$ART/ivschat-$VERSION-sources.jar" >"$WORK/sources.txt"
  unzip -l "$ART/ivschat-$VERSION-javadoc.jar" >"$WORK/javadoc.txt"
  check maven "-sources JAR has the generated and hand-written Kotlin; -javadoc JAR has Dokka's pages" -- bash -c "
    grep -q 'dev/ivschat/ivschat.kt' '$WORK/sources.txt' && grep -q 'dev/ivschat/StaticCredentials.kt' '$WORK/sources.txt' &&
    grep -q 'index.html' '$WORK/javadoc.txt'"
  check maven "the POM names the runtime dependencies and no build" -- bash -c "
    pom='$ART/ivschat-$VERSION.pom'
    grep -q '<artifactId>jna</artifactId>' \"\$pom\" && grep -q '<artifactId>kotlinx-coroutines-core-jvm</artifactId>' \"\$pom\" &&
    ! grep -q '<build>' \"\$pom\" && ! grep -q 'junit' \"\$pom\""
  rm -rf "$M2/dev/ivschat"
  cp -r "$ROOT/tools/dist/maven" "$WORK/maven-app"
  MVN=("${CLEAN[@]}" mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$M2" -Divschat.repo="file://$REPO" -Divschat.version="$VERSION")
  check maven "a fresh Kotlin Maven project resolves dev.ivschat:ivschat:$VERSION and compiles" -- bash -c "cd '$WORK/maven-app' &&
    ${MVN[*]} package dependency:build-classpath -Dmdep.outputFile=cp.txt"
  check maven "Kotlin quickstart against ivschat-local (JNA loads the library from the JAR)" -- bash -c "cd '$WORK/maven-app' &&
    ${CLEAN[*]} java -cp \"target/classes:\$(cat cp.txt)\" QuickstartKt '$ENDPOINT'"
  check maven "Maven fetches the -sources and -javadoc JARs (as an IDE does)" -- bash -c "cd '$WORK/maven-app' &&
    ${MVN[*]} dependency:copy -Dartifact=dev.ivschat:ivschat:$VERSION:jar:sources -DoutputDirectory=got &&
    ${MVN[*]} dependency:copy -Dartifact=dev.ivschat:ivschat:$VERSION:jar:javadoc -DoutputDirectory=got &&
    ls got/ivschat-$VERSION-sources.jar got/ivschat-$VERSION-javadoc.jar"
  SKIPS+=("SKIPPED: a Gradle consumer of dist/maven (no Gradle on this machine; Maven consumed the same POM)")
  for f in "$JAR" "$ART/ivschat-$VERSION-sources.jar" "$ART/ivschat-$VERSION-javadoc.jar" "$ART/ivschat-$VERSION.pom"; do
    case "$f" in
      *-sources.jar) tags="Kotlin sources (generated + hand-written)" ;;
      *-javadoc.jar) tags="Dokka" ;;
      *.pom) tags="consumer POM (jna, coroutines, kotlin-stdlib)" ;;
      *) tags="linux-x86-64/libivschat_uniffi.so stripped; $(glibc_max "$BIN/libivschat_uniffi.so")" ;;
    esac
    ROWS+=("| maven/…/$(basename "$f") | $(size "$f") | $tags | a fresh Kotlin Maven project | $(result maven) |")
  done
fi

# ---------------------------------------------------------------------------------------------
echo; echo "--- Android and iOS (no toolchain here: what can be checked)"
AAR_SH="$ROOT/bindings-swift/android/build-aar.sh"
check android "build-aar.sh parses (bash -n)" -- bash -n "$AAR_SH"
check android "build-aar.sh without the NDK says what it needs" -- bash -c "
  ! ${CLEAN[*]} bash '$AAR_SH' --jar '$JAR' --out '$WORK/aar-none' 2>'$WORK/err.txt'; cat '$WORK/err.txt'
  grep -q 'needs the Android NDK' '$WORK/err.txt'"
for abi in arm64-v8a armeabi-v7a x86_64; do
  mkdir -p "$WORK/fake-jni/$abi" && echo "fake $abi library" >"$WORK/fake-jni/$abi/libivschat_uniffi.so"
done
check android "the AAR from fake .so files: jni/<abi>/, classes.jar (no linux-x86-64/), manifest dev.ivschat" -- bash -c "
  ${CLEAN[*]} bash '$AAR_SH' --jni-libs '$WORK/fake-jni' --jar '$JAR' --out '$WORK/aar' &&
  python3 - '$WORK/aar/ivschat-android-$VERSION.aar' <<'EOF'
import io, sys, zipfile
aar = zipfile.ZipFile(sys.argv[1])
names = set(aar.namelist())
for abi in ('arm64-v8a', 'armeabi-v7a', 'x86_64'):
    assert f'jni/{abi}/libivschat_uniffi.so' in names, names
    assert aar.read(f'jni/{abi}/libivschat_uniffi.so') == f'fake {abi} library\n'.encode()
assert {'AndroidManifest.xml', 'classes.jar', 'R.txt', 'proguard.txt'} <= names, names
assert b'package=\"dev.ivschat\"' in aar.read('AndroidManifest.xml')
classes = zipfile.ZipFile(io.BytesIO(aar.read('classes.jar'))).namelist()
assert 'dev/ivschat/IvschatClient.class' in classes
assert not any(n.startswith('linux-x86-64/') for n in classes)
print(len(names), 'entries,', len(classes), 'classes')
EOF"
SKIPS+=("SKIPPED: Android AAR build through cargo-ndk and an app using it (no Android NDK or SDK on this machine)")

SWIFT_DIR="$ROOT/bindings-swift/swift"
check ios "build-xcframework.sh and release-swiftpm.sh parse (bash -n)" -- bash -c "
  bash -n '$SWIFT_DIR/build-xcframework.sh' && bash -n '$SWIFT_DIR/release-swiftpm.sh'"
check ios "/Package.swift: binaryTarget for build-xcframework.sh's XCFramework, paths and names that exist" -- python3 - "$ROOT" <<'EOF'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
text = (root / "Package.swift").read_text()
assert text.startswith("// swift-tools-version:5.9\n"), "tools version line"
assert text.count("(") == text.count(")") and text.count("[") == text.count("]") and text.count("{") == text.count("}")
local = re.search(r'^let localXCFramework = "([^"]+)"$', text, re.M).group(1)
build = (root / "bindings-swift/swift/build-xcframework.sh").read_text()
assert 'OUT="$HERE/build"' in build and '-output "$OUT/ivschatFFI.xcframework"' in build
assert local == "bindings-swift/swift/build/ivschatFFI.xcframework", local
assert '.binaryTarget(name: "ivschatFFI", path: localXCFramework)' in text
assert '.binaryTarget(name: "ivschatFFI", url: releaseXCFrameworkURL, checksum: releaseXCFrameworkChecksum)' in text
url = re.search(r'^let releaseXCFrameworkURL = "(https://[^"]+\.zip)"$', text, re.M).group(1)
checksum = re.search(r'^let releaseXCFrameworkChecksum = "([0-9a-f]{64})"$', text, re.M).group(1)
src = re.search(r'\.target\(name: "Ivschat", dependencies: \["ivschatFFI"\], path: "([^"]+)"\)', text).group(1)
assert any((root / src).glob("*.swift")), src
assert '.library(name: "Ivschat", targets: ["Ivschat"])' in text
uniffi = (root / "bindings-swift/uniffi.toml").read_text()
assert 'module_name = "Ivschat"' in uniffi and 'ffi_module_name = "ivschatFFI"' in uniffi
release = (root / "bindings-swift/swift/release-swiftpm.sh").read_text()
assert "s|^let releaseXCFrameworkURL = .*|" in release and "s|^let releaseXCFrameworkChecksum = .*|" in release
print("Package.swift:", src, "+", local, "or", url, checksum[:8])
EOF
SKIPS+=("SKIPPED: swift build of /Package.swift and build-xcframework.sh (no Swift toolchain or Xcode on this machine)")
grep -q '^let releaseXCFrameworkChecksum = "0\{64\}"' "$ROOT/Package.swift" &&
  SKIPS+=("SKIPPED: the XCFramework release asset and its checksum in /Package.swift (release-swiftpm.sh, on macOS)")
ROWS+=("| Android AAR (build-aar.sh) | - | jni/arm64-v8a, armeabi-v7a, x86_64 | layout from fake .so | $(result android); build SKIPPED |")
ROWS+=("| iOS /Package.swift + XCFramework | - | binaryTarget ivschatFFI | text checked | $(result ios); build SKIPPED |")

# ---------------------------------------------------------------------------------------------
echo
echo "| artifact | size | tags / glibc floor | installed where | quickstart |"
echo "|---|---|---|---|---|"
for row in "${ROWS[@]}"; do echo "$row"; done
echo
for s in "${SKIPS[@]}"; do echo "$s"; done
echo "dist: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
