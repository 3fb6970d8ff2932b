#!/usr/bin/env bash
# apex upload figures for bench/README.md, all against one local s3rver in one run:
#   200 x 1 MB files: apex upload vs `aws s3 cp --recursive` vs a sequential boto3 upload_file loop
#   one 500 MB file:  apex upload (default multipart, and one streamed PUT) vs aws s3 cp vs
#                     s3rver's raw single-PUT rate (curl), then apex's no-change re-run of it
#   a no-change re-run of a 1,000-file tree
# Usage: bench/upload_bench.sh [BUILD_DIR] [BIG_MB]   (default build/, 500; needs tests/node_modules, aws, boto3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
big_mb=${2:-500}
apex=$build/apex
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bucket=apex-bench
node --openssl-legacy-provider "$root/tests/node_modules/s3rver/bin/s3rver.js" -d "$work/s3" \
  -a 127.0.0.1 -p "$port" --silent --configure-bucket "$bucket" >"$work/s3rver.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
endpoint=http://127.0.0.1:$port
export S3_ENDPOINT_URL=$endpoint S3_BUCKET_NAME=$bucket AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
  AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

mkdir -p "$work/many" "$work/big" "$work/thousand/a" "$work/thousand/b"
for i in $(seq 200); do head -c 1000000 /dev/urandom >"$work/many/file_$i.csv"; done
head -c $((big_mb * 1000000)) /dev/urandom >"$work/big/telemetry.csv"
for i in $(seq 500); do
  head -c 2000 /dev/urandom >"$work/thousand/a/f_$i.csv"
  head -c 2000 /dev/urandom >"$work/thousand/b/f_$i.csv"
done
sync

seconds() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }
measure() {  # label, command...
  local label=$1
  shift
  local t0 t1
  t0=$(seconds)
  "$@" >"$work/last.log" 2>&1 || { echo "$label FAILED"; tail -5 "$work/last.log"; }
  t1=$(seconds)
  python3 -c "print(f'{\"$label\":<44} {$t1 - $t0:7.2f} s')"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "200 x 1 MB files"
measure "apex upload (--jobs 8)" "$apex" upload "$work/many" --prefix apex-many/
measure "aws s3 cp --recursive" aws --endpoint-url "$endpoint" s3 cp --recursive --quiet "$work/many" "s3://$bucket/aws-many/"
cat >"$work/boto3_loop.py" <<PY
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url="$endpoint", region_name="us-east-1")
root = sys.argv[1]
for dirpath, _, names in os.walk(root):
    for name in sorted(names):
        path = os.path.join(dirpath, name)
        s3.upload_file(path, "$bucket", "boto3-many/" + os.path.relpath(path, root))
PY
measure "boto3 upload_file loop (sequential)" python3 "$work/boto3_loop.py" "$work/many"

# s3rver's raw single-PUT rate: curl sends the big file to key $1 in one signed PUT.
curl_put() {
  curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T "$work/big/telemetry.csv" "$endpoint/$bucket/$1"
}

echo "one ${big_mb} MB file"
measure "curl single PUT (s3rver raw rate)" curl_put curl-big/telemetry.csv
measure "apex upload (--jobs 8, 8 MiB parts)" "$apex" upload "$work/big" --prefix apex-big/
measure "apex upload --multipart-threshold 1024 (1 PUT)" "$apex" upload "$work/big" --prefix apex-big-put/ \
  --multipart-threshold 1024
measure "curl single PUT again" curl_put curl-big2/telemetry.csv
measure "apex upload, no-change re-run (1 HEAD)" "$apex" upload "$work/big" --prefix apex-big-put/ \
  --multipart-threshold 1024
grep -h "skipped" "$work/last.log" | tail -1
measure "aws s3 cp" aws --endpoint-url "$endpoint" s3 cp --quiet "$work/big/telemetry.csv" "s3://$bucket/aws-big/telemetry.csv"

# PAIRS=N: curl's single PUT and apex's one-PUT upload of the big file, alternately, N
# times each to fresh keys, so that the machine's drift hits both alike.
if [[ ${PAIRS:-0} -gt 0 ]]; then
  echo "alternating pairs, one 500 MB PUT each"
  for pair in $(seq "$PAIRS"); do
    measure "pair $pair: curl single PUT" curl_put "curl-pair-$pair/telemetry.csv"
    measure "pair $pair: apex upload (1 PUT)" "$apex" upload "$work/big" --prefix "apex-pair-$pair/" \
      --multipart-threshold 1024
  done
fi

echo "1,000-file tree"
measure "apex upload, first run" "$apex" upload "$work/thousand" --prefix apex-thousand/
measure "apex upload, no-change re-run" "$apex" upload "$work/thousand" --prefix apex-thousand/
grep -h "skipped" "$work/last.log" | tail -1
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
