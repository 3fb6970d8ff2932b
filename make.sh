#!/bin/sh
# The README's set-up commands on a machine that may not have make yet (a bare Debian 12
# has none): installs Debian's make when it is missing, then runs the Makefile's target
# (`./make.sh run`, `./make.sh test`), which installs everything else it needs.
set -eu
cd "$(dirname "$0")"
if ! command -v make >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "make.sh: make is not installed, and installing it needs root or sudo (apt-get install make)" >&2
    exit 2
  fi
  echo "make.sh: installing make (Debian package make)"
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make
fi
exec make "$@"
