#!/usr/bin/env bash
# Runs examples/node/quickstart.mjs and chat.mjs (two users join a room and exchange a message)
# against ENDPOINT (ivschat-local, credentials test/test).
# Installs the dev tools and builds the addon first when needed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ENDPOINT="${1:?usage: demo.sh ENDPOINT}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
echo "--- Node quickstart (examples/node/quickstart.mjs)"
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIPPED: Node quickstart (no $tool)"; exit 0; }
done
cd "$HERE"
if [ ! -x node_modules/.bin/napi ]; then
  echo "==> installing the Node build tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
echo "==> building the Node addon (napi build; the first build takes a few minutes)"
npx napi build --platform --js native.js --dts native.d.ts || {
  echo "building the Node addon failed; rerun: (cd bindings-node && npx napi build --platform --js native.js --dts native.d.ts)" >&2; exit 1; }
cd "$ROOT/examples/node"
[ -e node_modules/ivschat ] || npm install --no-audit --no-fund --loglevel=error >/dev/null
node quickstart.mjs "$ENDPOINT"
echo "--- Node chat (examples/node/chat.mjs)"
node chat.mjs "$ENDPOINT"
