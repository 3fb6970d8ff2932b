#!/usr/bin/env bash
# S3 figures for bench/README.md: starts s3rver on a free loopback port, runs
# s3_get_bench (requests to list and load one race, revalidation, GET throughput through
# S3Store, cold telemetry loads with curl's download of the same object between them) and
# then GETs the same large object with curl, in the same run.
# Usage: bench/s3_get_bench.sh [BUILD_DIR]   (default build/; needs tests/node_modules)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bucket=apex-bench
node --openssl-legacy-provider "$root/tests/node_modules/s3rver/bin/s3rver.js" -d "$work/s3" \
  -a 127.0.0.1 -p "$port" --configure-bucket "$bucket" >"$work/s3rver.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
endpoint=http://127.0.0.1:$port
# The raw download of the telemetry object, run by the bench between its cold loads.
raw_get="curl -s -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER"
raw_get+=" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' $endpoint/$bucket/bench/telemetry.csv"
S3_ENDPOINT_URL=$endpoint S3_BUCKET_NAME=$bucket S3RVER_LOG=$work/s3rver.log S3RVER_PID=$server \
  BENCH_RAW_GET=$raw_get "$build/s3_get_bench"
# GETs the large object three times with curl, signed like S3Store (SigV4, unsigned payload).
for run in 1 2 3; do
  curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    -w "GET (%{size_download} bytes) with curl, run $run: %{time_total} s, %{speed_download} B/s\n" \
    "$endpoint/$bucket/bench/large.bin"
done
