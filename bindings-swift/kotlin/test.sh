#!/usr/bin/env bash
# Kotlin/JVM tests of the UniFFI binding: builds the library, the bindgen and ivschat-local, then
# `mvn test` (the pom generates the Kotlin bindings from that very library and packages it under
# linux-x86-64/ for JNA). Last line: "kotlin: N passed, M failed".
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

for tool in mvn java cargo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: kotlin tests (no $tool on PATH)"
    exit 0
  fi
done

cd "$ROOT"
echo "==> cargo build -p ivschat-uniffi (lib + uniffi-bindgen), ivschat-local"
cargo build --quiet -p ivschat-uniffi --features cli --lib --bin uniffi-bindgen || { echo "kotlin: 0 passed, 1 failed"; exit 1; }
cargo build --quiet -p ivschat-emulator --bin ivschat-local || { echo "kotlin: 0 passed, 1 failed"; exit 1; }

cd "$HERE"
# Bindings and classes from another build of the library (or an older package name) must not linger.
rm -rf target/surefire-reports target/conformance-kotlin.txt target/conformance-kotlin-messaging.txt \
  target/generated-sources/uniffi target/classes target/test-classes
echo "==> mvn -q -B test"
mvn -q -B -Dstyle.color=never test \
  -Divschat.native.dir="$CARGO_TARGET_DIR/debug" \
  -Divschat.local.bin="$CARGO_TARGET_DIR/debug/ivschat-local"
rc=$?

# The conformance counts (also in the test output), for the log's tail.
[ -f target/conformance-kotlin.txt ] && grep -E "^conformance:" target/conformance-kotlin.txt
[ -f target/conformance-kotlin-messaging.txt ] && grep -E "^messaging conformance:" target/conformance-kotlin-messaging.txt

# Surefire: sum tests / failures / errors / skipped over the XML reports.
read -r tests failures errors skipped < <(
  python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
t = f = e = s = 0
for path in glob.glob("target/surefire-reports/TEST-*.xml"):
    r = ET.parse(path).getroot()
    t += int(r.get("tests", 0)); f += int(r.get("failures", 0)); e += int(r.get("errors", 0)); s += int(r.get("skipped", 0))
print(t, f, e, s)
PY
)
failed=$(( failures + errors ))
passed=$(( tests - failed - skipped ))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "kotlin: $passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
