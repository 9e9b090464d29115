#!/usr/bin/env bash
# The core at this checkout against the core at BASE (a commit), in one process, interleaved:
#   bench/ab/ab.sh BASE [ROUNDS]
# GetRoom calls/s and CPU µs per call (every thread), sequential and 64 in flight, as a user
# writes them (#[tokio::main]), on one canned server. BASE's core is checked out in a worktree
# outside this one (cargo would take this checkout's workspace for it) and renamed
# `ivschat-base`, so both link into one binary. AB_RUNTIME=current measures both on a
# current-thread runtime (the Python `Client`'s) instead of a multi-thread one. Not part of make.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BASE="${1:?usage: bench/ab/ab.sh BASE [ROUNDS]}"
OUT="$ROOT/target/ab"
mkdir -p "$OUT"
rev="$(git -C "$ROOT" rev-parse --short "$BASE")"
tree="${TMPDIR:-/tmp}/ivschat-ab-base-$rev"
git -C "$ROOT" worktree prune
[ -d "$tree" ] || git -C "$ROOT" worktree add --detach -q "$tree" "$rev"
sed -i '0,/^name = "ivschat"$/s//name = "ivschat-base"/' "$tree/core/Cargo.toml"
mkdir -p "$OUT/project"
cat > "$OUT/project/Cargo.toml" <<TOML
[package]
name = "ivschat-ab"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[[bin]]
name = "ivschat-ab"
path = "$ROOT/bench/ab/main.rs"

[dependencies]
ivschat = { path = "$ROOT/core" }
ivschat_base = { package = "ivschat-base", path = "$tree/core" }
tokio = { version = "1", features = ["rt-multi-thread"] }
libc = "0.2"

[profile.release]
lto = "fat"
codegen-units = 1
TOML
CARGO_TARGET_DIR="$OUT/target" cargo build --release -q --manifest-path "$OUT/project/Cargo.toml"
source "$ROOT/tools/start-server.sh"
start_canned_server
echo "this checkout against $rev"
"$OUT/target/release/ivschat-ab" "$SERVER_URL" "${2:-15}"
