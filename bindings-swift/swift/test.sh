#!/usr/bin/env bash
# Swift package of the UniFFI binding. Always: builds the library and uniffi-bindgen, generates the
# Swift sources into the package and checks them (so generation failures are caught everywhere).
# Where a Swift toolchain exists: `swift test` (XCTest). Last line: "swift: N passed, M failed",
# or "SKIPPED: swift tests (no swift toolchain)".
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB="$CARGO_TARGET_DIR/debug/libivschat_uniffi.so"
[ "$(uname -s)" = "Darwin" ] && LIB="$CARGO_TARGET_DIR/debug/libivschat_uniffi.dylib"

if ! command -v cargo >/dev/null 2>&1; then
  echo "SKIPPED: swift tests (no cargo)"
  exit 0
fi

cd "$ROOT"
cargo build --quiet -p ivschat-uniffi --features cli --lib --bin uniffi-bindgen || { echo "swift: 0 passed, 1 failed"; exit 1; }

GEN="$(mktemp -d)"
trap 'rm -rf "$GEN"' EXIT
(cd "$ROOT/bindings-swift" && "$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate --library "$LIB" \
  --language swift --out-dir "$GEN" --no-format) || { echo "swift: 0 passed, 1 failed"; exit 1; }

# The generated sources must be complete: module, FFI header, module map, and the API surface.
problems=()
for f in Ivschat.swift ivschatFFI.h ivschatFFI.modulemap; do
  [ -s "$GEN/$f" ] || problems+=("missing $f")
done
for decl in "class IvschatClient" "protocol CredentialsProvider" "enum IvschatError" \
  "func createRoom(input: CreateRoomInput)async throws" "func listRoomsPaginator" "struct IvschatConfig" \
  "enum DestinationConfiguration" "func operationInputFromJson" \
  "open class ChatRoom" "public protocol ChatTokenProvider" "func getChatToken() async throws  -> ChatToken" \
  "init(regionOrUrl: String, tokenProvider: ChatTokenProvider, options: ChatRoomOptions? = nil)" \
  "func sendMessage(request: SendMessageRequest)async throws  -> ChatMessage" \
  "func deleteMessage(request: DeleteMessageRequest)async throws  -> DeleteMessageEvent" \
  "func disconnectUser(request: DisconnectUserRequest)async throws  -> DisconnectUserEvent" \
  "func subscribe()  -> ChatRoomEvents" "func next()async  -> ChatRoomEvent?" "public enum ChatRoomEvent"; do
  grep -qF "$decl" "$GEN/Ivschat.swift" || problems+=("Ivschat.swift lacks '$decl'")
done
ops=$(python3 -c "import json; print(len(json.load(open('$ROOT/codegen/model/service-2.json'))['operations']))")
found=$(grep -cE "^open func [a-zA-Z]+\(input: [A-Za-z]+Input\)async throws" "$GEN/Ivschat.swift")
[ "$found" -eq "$ops" ] || problems+=("$found async operation methods, expected $ops")
grep -q "ffi_ivschat_uniffi_rust_future_poll" "$GEN/ivschatFFI.h" || problems+=("ivschatFFI.h lacks the future functions")
if [ ${#problems[@]} -gt 0 ]; then
  printf 'swift bindings: %s\n' "${problems[@]}"
  echo "swift: 0 passed, 1 failed"
  exit 1
fi
echo "swift bindings generated and checked: $ops operations"

cp "$GEN/Ivschat.swift" "$HERE/Sources/Ivschat/Ivschat.swift"
cp "$GEN/ivschatFFI.h" "$HERE/Sources/ivschatFFI/ivschatFFI.h"

if ! command -v swift >/dev/null 2>&1; then
  echo "SKIPPED: swift tests (no swift toolchain)"
  exit 0
fi

cargo build --quiet -p ivschat-emulator --bin ivschat-local || { echo "swift: 0 passed, 1 failed"; exit 1; }
cd "$HERE"
export IVSCHAT_LIB_DIR="$CARGO_TARGET_DIR/debug" IVSCHAT_LOCAL_BIN="$CARGO_TARGET_DIR/debug/ivschat-local"
export LD_LIBRARY_PATH="$IVSCHAT_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
LOG="$(mktemp)"
swift test 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
passed=$(grep -cE "Test Case .* passed" "$LOG")
failed=$(grep -cE "Test Case .* failed" "$LOG")
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "swift: $passed passed, $failed failed"
[ "$rc" -eq 0 ]
