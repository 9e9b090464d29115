#!/usr/bin/env bash
# Node binding: installs the dev tools (npm ci), builds the addon (debug, shared target/), runs
# every suite with `node --test` (conformance, end-to-end, the v3 oracle), then checks the
# package: `npm pack`, install into a fresh project, require + import, `tsc --strict --noEmit`.
# Last line: "node: N passed, M failed".
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cd "$HERE"

for tool in node npm cargo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: node binding ($tool not found)"
    exit 0
  fi
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "SKIPPED: node binding (node $(node --version) is older than 18)"
  exit 0
fi

PASSED=0
FAILED=0
finish() {
  echo "node: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}
fail_setup() {
  echo "FAILED: $*" >&2
  FAILED=$((FAILED + 1))
  finish
}

echo "==> npm ci"
stamp="node_modules/.ivschat-lock.sha"
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sha" ]; then
  npm ci --no-audit --no-fund --loglevel=error || fail_setup "npm ci"
  echo "$lock_sha" > "$stamp"
else
  echo "node_modules is up to date"
fi

echo "==> napi build (debug)"
npx napi build --platform --js native.js --dts native.d.ts || fail_setup "napi build"

TAP="$(mktemp)"
trap 'rm -f "$TAP"' EXIT
# suite FILE...: node --test on FILEs, its counts added to PASSED and FAILED.
suite() {
  node --test --test-concurrency=1 \
    --test-reporter=dot --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TAP" \
    "$@"
  local rc=$?
  echo
  grep -E '^# (messaging )?conformance: ' "$TAP" | sed 's/^# //'
  if [ "$rc" -ne 0 ]; then
    echo "--- failures"
    grep -E -A12 '^\s*not ok' "$TAP" | head -200
  fi
  local p f
  p=$(grep -E '^# pass [0-9]+' "$TAP" | tail -n 1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$TAP" | tail -n 1 | awk '{print $3}')
  PASSED=$((PASSED + ${p:-0}))
  FAILED=$((FAILED + ${f:-0}))
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then FAILED=$((FAILED + 1)); fi
}

echo "==> node --test"
suite __test__/*.test.mjs

echo "==> node --test, calls on the tokio runtime (as under Bun, Deno and Windows)"
IVSCHAT_NODE_NO_HOSTED_LOOP=1 suite __test__/transport.test.mjs __test__/e2e.test.mjs

echo "==> npm pack + a fresh project (require, import, tsc --strict)"
check() {  # check NAME command...
  local name=$1; shift
  if "$@"; then echo "ok - $name"; PASSED=$((PASSED + 1))
  else echo "not ok - $name"; FAILED=$((FAILED + 1)); fi
}
WORK="$(mktemp -d)"
trap 'rm -f "$TAP"; rm -rf "$WORK"' EXIT
TARBALL=""
pack() {
  TARBALL="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
  [ -f "$TARBALL" ]
}
check "npm pack produces a tarball" pack
if [ -n "$TARBALL" ] && [ -f "$TARBALL" ]; then
  mkdir -p "$WORK/app"
  (cd "$WORK/app" && npm init -y >/dev/null)
  check "npm install <tarball> in a fresh project" \
    bash -c "cd '$WORK/app' && npm install --no-audit --no-fund --loglevel=error '$TARBALL'"
  check "require('ivschat') works" bash -c "cd '$WORK/app' && node -e \"
    const { IvschatClient, startLocalServer } = require('ivschat');
    (async () => { const s = await startLocalServer();
      const c = new IvschatClient({ region: 'us-east-1', endpoint: s.endpoint, credentials: s.credentials });
      const r = await c.createRoom({ name: 'cjs' }); if (!(r.createTime instanceof Date)) process.exit(1);
      await s.close(); })().catch((e) => { console.error(e); process.exit(1) })\""
  check "import 'ivschat' works" bash -c "cd '$WORK/app' && node --input-type=module -e \"
    import { IvschatClient, startLocalServer, ResourceNotFoundException } from 'ivschat';
    const s = await startLocalServer();
    const c = new IvschatClient({ region: 'us-east-1', endpoint: s.endpoint, credentials: s.credentials });
    const e = await c.getRoom({ identifier: 'arn:aws:ivschat:us-east-1:000000000000:room/AAAAAAAAAAAA' }).catch((x) => x);
    if (!(e instanceof ResourceNotFoundException)) process.exit(1);
    await s.close();\""
  cp __test__/typecheck/*.mts __test__/typecheck/*.cts "$WORK/app/"
  check "tsc --strict --noEmit (every method, ESM and CJS, the chat README example)" bash -c "cd '$WORK/app' && '$HERE/node_modules/.bin/tsc' --strict --noEmit \
    --module nodenext --moduleResolution nodenext --target es2022 --lib es2022,dom --skipLibCheck false *.mts *.cts"
fi
finish
