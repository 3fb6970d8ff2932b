#!/usr/bin/env bash
# Instructions per row of a full telemetry parse (one thread, file in memory), counted by
# valgrind's cachegrind: the parse run minus a run that only reads the file. Deterministic,
# unlike wall time on a shared machine, so it shows a parser change of a few percent.
# Usage: bench/telemetry_instructions.sh [BUILD_DIR] FILE...   (BUILD_DIR default build/)
# PARSE_FLAG=--no-simd counts the baseline x86-64 separator loop instead of its AVX2 copy.
# Needs valgrind (scripts/install-deps.sh installs it). A 10 MB file takes a few seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
if [[ $# -gt 0 && -d $1 ]]; then
  build=$1
  shift
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 [BUILD_DIR] FILE..." >&2
  exit 2
fi
driver=$build/telemetry_parse_once
[[ -x $driver ]] || cmake --build "$build" --target telemetry_parse_once
instructions() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*I *refs: *//p' | tr -d ','
}
for file in "$@"; do
  rows=$("$driver" "$file" | cut -d' ' -f1)
  read_only=$(instructions "$driver" "$file" --read-only)
  total=$(instructions "$driver" "$file" ${PARSE_FLAG:-})
  echo "$file: $rows rows, $(((total - read_only) / rows)) instructions per row ($((total - read_only)) in the parse)"
done
