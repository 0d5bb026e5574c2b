#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for a bounded time from its seed corpus (fuzz/corpus).
# A crash leaves its input in fuzz/artifacts/<target>/ and fails this script; turn it into a regression
# test named for it. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
for target in body auth query; do
  # The seed corpus stays as committed: new inputs the fuzzer finds go to a scratch copy.
  work=$(mktemp -d)
  cp -r "corpus/$target/." "$work/"
  echo "fuzz: $target for ${seconds}s"
  # Built first, on its own: a target that no longer compiles fails here, not silently below.
  cargo fuzz build --release --sanitizer none "$target"
  cargo fuzz run --release --sanitizer none "$target" "$work" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
    | grep -E 'stat::number_of_executed_units|Done|ERROR|panicked' || true
  rm -rf "$work"
  if [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    echo "fuzz: $target found a crash: fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
