#!/usr/bin/env bash
# Runs every test suite of every language and prints one summary line per language.
# Used by `make test` (and so by .ci/run). Exit status: non-zero if any suite failed.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
LOGS="${IVSCHAT_TEST_LOGS:-$ROOT/target/test-logs}"
mkdir -p "$LOGS"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export IVSCHAT_REQUIRE_ORACLE=1 IVSCHAT_PYTHON="$PY"
export IVSCHAT_LOCAL_BIN="$CARGO_TARGET_DIR/debug/ivschat-local"

declare -A PASSED FAILED
SUMMARY=()
STATUS=0

step() { printf '\n==> %s\n' "$*"; }

# cargo: sum "test result: ... N passed; M failed" lines of a log.
count_cargo() {
  local log=$1 lang=$2
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  PASSED[$lang]=$(( ${PASSED[$lang]:-0} + p )); FAILED[$lang]=$(( ${FAILED[$lang]:-0} + f ))
}

# pytest: "N passed, M failed" in the final line.
count_pytest() {
  local log=$1 lang=$2
  local last p f
  last=$(grep -E '(passed|failed|error)' "$log" | tail -n 1)
  p=$(grep -Eo '[0-9]+ passed' <<<"$last" | awk '{print $1}'); f=$(grep -Eo '[0-9]+ (failed|error)' <<<"$last" | awk '{s+=$1} END {print s+0}')
  PASSED[$lang]=$(( ${PASSED[$lang]:-0} + ${p:-0} )); FAILED[$lang]=$(( ${FAILED[$lang]:-0} + ${f:-0} ))
}

run() {  # run NAME LANG COUNTER -- command...
  local name=$1 lang=$2 counter=$3; shift 4
  local log="$LOGS/$name.log"
  step "$name: $*"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  $counter "$log" "$lang"
  if [ "$rc" -ne 0 ]; then
    STATUS=1; SUMMARY+=("FAILED: $name (exit $rc, log $log)")
    # A suite that failed before reporting any test still counts as a failure.
    [ "${FAILED[$lang]:-0}" -eq 0 ] && FAILED[$lang]=1
  fi
}

check() {  # check NAME -- command...: a consistency check, counted under "checks"
  local name=$1; shift 2
  step "$name: $*"
  if "$@"; then PASSED[checks]=$(( ${PASSED[checks]:-0} + 1 ))
  else FAILED[checks]=$(( ${FAILED[checks]:-0} + 1 )); STATUS=1; SUMMARY+=("FAILED: $name"); fi
}

check "generated core code is up to date" -- "$PY" codegen/gen_core.py --check
for gen in codegen/gen_uniffi.py codegen/gen_python.py codegen/gen_node.py; do
  [ -f "$gen" ] && check "generated code of $gen is up to date" -- python3 "$gen" --check
done
check "conformance cases match botocore" -- "$PY" tools/oracle/generate_conformance.py --check
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  check "messaging cases match the official chat client" -- bash -c 'cd tools/oracle/messaging &&
    { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && node generate.mjs --check'
else
  SUMMARY+=("SKIPPED: messaging oracle check (no node/npm)")
fi
if [ -f ../shared/spec/model/service-2.json ]; then
  check "codegen model is the shared model" -- cmp -s codegen/model/service-2.json ../shared/spec/model/service-2.json
fi
check "Markdown links stay in the repository" -- python3 tools/check_markdown_links.py
check "rustfmt" -- cargo fmt --all -- --check
check "clippy" -- cargo clippy --workspace --all-targets --quiet -- -D warnings
check "mobile build (no default features), no warnings" -- cargo clippy -p ivschat --no-default-features --quiet -- -D warnings

run rust-workspace rust count_cargo -- cargo test --workspace --no-fail-fast
run python-oracle python count_pytest -- "$PY" -m pytest -q tools/oracle
run python-emulator-boto3 python count_pytest -- "$PY" -m pytest -q emulator/tests/boto3

# Each binding has a test.sh that installs what it needs, runs its suites and ends with the line
# "<language>: N passed, M failed" (or prints "SKIPPED: ..." and exits 0).
count_binding() {
  local log=$1 lang=$2 line
  line=$(grep -E "^$lang: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
  [ -n "$line" ] || return 0
  PASSED[$lang]=$(( ${PASSED[$lang]:-0} + $(awk '{print $2}' <<<"$line") ))
  FAILED[$lang]=$(( ${FAILED[$lang]:-0} + $(awk '{print $4}' <<<"$line") ))
}
for binding in python:bindings-python node:bindings-node kotlin:bindings-swift/kotlin swift:bindings-swift/swift; do
  lang=${binding%%:*}; dir=${binding#*:}
  [ -x "$dir/test.sh" ] && run "binding-$lang" "$lang" count_binding -- "$dir/test.sh"
done

# The release artifacts, when `make dist` has built them: installed and run by tools/test-dist.sh
# (which prints a SKIPPED line without dist/).
run binding-dist dist count_binding -- tools/test-dist.sh

printf '\n==> summary\n'
for lang in checks rust python node kotlin swift dist; do
  [ -n "${PASSED[$lang]:-}${FAILED[$lang]:-}" ] || continue
  printf '%s: %d passed, %d failed\n' "$lang" "${PASSED[$lang]:-0}" "${FAILED[$lang]:-0}"
done
grep -h "^SKIPPED: " "$LOGS"/binding-*.log 2>/dev/null | sort -u
for line in "${SUMMARY[@]}"; do echo "$line"; done
total_p=0; total_f=0
for lang in checks rust python node kotlin swift dist; do total_p=$(( total_p + ${PASSED[$lang]:-0} )); total_f=$(( total_f + ${FAILED[$lang]:-0} )); done
echo "all: $total_p passed, $total_f failed"
exit $STATUS
