#!/usr/bin/env bash
# Installs the Debian 12 packages APEX builds and tests with, pinned to the versions
# it was developed against. Skips everything when they are already present, so a
# second run costs a few dpkg queries.
set -euo pipefail

packages=(
  "make"
  "git"                                # the format check lists the sources with git ls-files
  "cmake=3.25.1-1"
  "ninja-build=1.11.1-2~deb12u1"
  "g++"
  "pkg-config"
  "clang-format"
  "clang-14=1:14.0.6-12"               # the libFuzzer targets (tests/fuzz)
  "libclang-rt-14-dev=1:14.0.6-12"     # libFuzzer and sanitizer runtimes
  "libclang1-14=1:14.0.6-12"           # libclang (with clang-14): tests/tools/source_rules.py parses src/
  "libssl-dev"
  "zlib1g-dev"
  "libcurl4-openssl-dev"
  "libisal-dev=2.30.0-5"               # CRC32C for apex upload's checksums
  "libxxhash-dev=0.8.1-1"              # XXH3-128, apex upload's content identity
  "libboost1.81-dev=1.81.0-5+deb12u1"  # Boost.Beast and Asio: apex serve's HTTP server
  "libcpp-httplib-dev=0.11.4+ds-1+deb12u1"  # the tests' and benchmarks' HTTP client
  "nlohmann-json3-dev=3.11.2-2"
  "libcli11-dev=2.1.2+ds-1"
  "libgtest-dev=1.12.1-0.2"
  "libgmock-dev=1.12.1-0.2"
  "librapidcheck-dev=0~1033-08b5058-3"
  "libbenchmark-dev=1.7.1-1"
  "nodejs"                             # Debian 12's is 18: every npm package here runs on it
  "npm"
  # An independent S3 client and SigV4 signer for the tests: boto3 cross-checks what
  # S3Store writes and reads; botocore verifies every signature in front of s3rver
  # (tests/tools/sigv4_verifying_proxy.py).
  "python3"
  "python3-boto3=1.26.27+dfsg-1"
  "python3-botocore=1.29.27+repack-1"
  "curl"
  "wrk"
  "valgrind=1:3.19.0-1"                # bench/telemetry_instructions.sh (cachegrind)
  # The dashboard's end-to-end test (tests/e2e) drives it. Not pinned: Debian ships
  # Chromium through security updates and removes the old version from the archive.
  "chromium"
)
if [[ "${1:-}" == "--with-browser" ]]; then packages+=("chromium-driver"); fi

# A pin is the version developed against, and a floor: a newer one from Debian 12's updates
# is kept (never downgraded), and where the archive has moved past the pin, its version is
# installed.
at_least_pin() {  # name pin: the archive's version of name, if not older than the pin
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/{print $2}')
  [[ -n "$candidate" && "$candidate" != "(none)" ]] && dpkg --compare-versions "$candidate" ge "$2" && echo "$candidate"
}
missing=()
for spec in "${packages[@]}"; do
  name="${spec%%=*}"
  want="${spec#*=}"
  have="$(dpkg-query -W -f='${Status}|${Version}' "$name" 2>/dev/null || true)"
  if [[ "$have" != "install ok installed|"* ]]; then
    missing+=("$spec")
  elif [[ "$spec" == *=* ]] && ! dpkg --compare-versions "${have#*|}" ge "$want"; then
    missing+=("$spec")
  fi
done
# The machine may already carry newer Node.js/npm than Debian's; those are fine.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for spec in "${missing[@]}"; do [[ "$spec" == nodejs || "$spec" == npm ]] || filtered+=("$spec"); done
  missing=("${filtered[@]}")
fi
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: these Debian packages are missing and installing them needs root or sudo:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 2
  fi
  sudo="sudo"
fi
$sudo apt-get update -q
resolved=()
for spec in "${missing[@]}"; do
  name="${spec%%=*}"
  if [[ "$spec" == *=* ]] && ! apt-cache show "$spec" >/dev/null 2>&1; then
    newer=$(at_least_pin "$name" "${spec#*=}") || {
      echo "install-deps: $spec is not in the archive and nothing newer is (is this Debian 12?)" >&2
      exit 2
    }
    spec="$name=$newer"
  fi
  resolved+=("$spec")
done
echo "install-deps: installing ${resolved[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${resolved[@]}"
