# Sourced by the scripts that need a server on a free port (ivschat-local, the canned server).
#   start_server OUT COMMAND...   runs COMMAND in the background, its standard output in OUT,
#                                 and waits (up to 10 s) for its "listening on URL" line.
# Sets SERVER_PID and SERVER_URL; returns 1 (saying why, with OUT) if the server exits or is
# not listening in time. The caller stops it (kill "$SERVER_PID").
start_server() {
  local out=$1
  shift
  "$@" >"$out" &
  SERVER_PID=$!
  SERVER_URL=""
  for _ in $(seq 100); do
    SERVER_URL="$(sed -n 's/.*listening on //p' "$out" | head -n 1)"
    [ -n "$SERVER_URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "${1##*/} did not start listening:" >&2
  cat "$out" >&2
  return 1
}

#   start_canned_server   builds the canned server (release, target/bench-build) and starts it
#                         with one thread, stopped when the script exits (an EXIT trap).
# For the benchmarks. Sets SERVER_PID and SERVER_URL as start_server does.
start_canned_server() {
  local root target
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  target="$root/target/bench-build"
  CARGO_TARGET_DIR="$target" cargo build --release -q -p ivschat-canned-server
  CANNED_SERVER_LOG="$(mktemp)"
  SERVER_PID=""
  trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -f "$CANNED_SERVER_LOG"' EXIT
  start_server "$CANNED_SERVER_LOG" "$target/release/ivschat-canned-server" --threads 1
}
