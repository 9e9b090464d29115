#!/usr/bin/env bash
# Linker for tools/pgo-node.sh's instrumented cross build: rustc passes "-u __llvm_profile_runtime",
# which cargo-zigbuild's zigcc wrapper (the linker cargo was given) takes for a file name; this
# passes it as "-Wl,-u,..." and hands everything else on unchanged.
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "-u" ] && [ $# -gt 1 ]; then
    args+=("-Wl,-u,$2")
    shift 2
  else
    args+=("$1")
    shift
  fi
done
exec "$CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER" "${args[@]}"
