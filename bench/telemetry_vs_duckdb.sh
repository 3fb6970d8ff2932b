#!/usr/bin/env bash
# Side by side: APEX's full telemetry ingest (bench/telemetry_bench.cpp) and
# DuckDB's CSV load of the same 1 GiB file, in the same run.
# Usage: [RUNS=1] bench/telemetry_vs_duckdb.sh [BUILD_DIR]   (default build/, Release)
# Compare process CPU seconds (APEX's process_cpu_s, DuckDB's "s CPU") as well as wall
# time: on a shared machine the CPU figures move less.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
file=${APEX_TELEMETRY_FILE:-/tmp/telemetry_1g.csv}
if [[ ! -f $file ]]; then
  python3 "$root/../shared/tools/gen_telemetry.py" --size-mb 1024 --seed 42 -o "$file"
fi
(cd "$root/bench/duckdb" && [[ -d node_modules ]] || npm ci --no-audit --no-fund)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
APEX_TELEMETRY_FILE=$file "$build/telemetry_bench" --benchmark_filter='LoadTelemetryFromDisk|ParseTelemetryInMemory|PeakMemory'
node "$root/bench/duckdb/load_telemetry.mjs" "$file"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
