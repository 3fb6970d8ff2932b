#!/usr/bin/env bash
# Runs a command in a clean clone of this checkout's HEAD inside a bare Debian 12 root, the
# machine a new user starts from: debootstrap minbase plus git and CA certificates (no make,
# no compiler, no node, no python3 modules). ../shared, where it exists beside the checkout,
# is mounted read-only beside the clone, as on our machines.
#
#   scripts/fresh-debian-root.sh ['COMMAND']        (as root; default COMMAND: ./make.sh test)
#
# Cached between runs on the same machine, under APEX_FRESH_CACHE (default
# /var/cache/apex-fresh-debian): the debootstrapped base root, which is copied and never
# changed, and what was downloaded (Debian's .deb files, npm's tarballs). The installed state
# is never cached: every run installs everything again. A machine without the cache builds it.
# APEX_FRESH_USER=1 runs COMMAND as an ordinary user with sudo instead of root.
set -euo pipefail
command=${1:-./make.sh test}
cache=${APEX_FRESH_CACHE:-/var/cache/apex-fresh-debian}
root=${APEX_FRESH_ROOT:-/tmp/apex-fresh-debian-root}
checkout=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
shared="$(dirname "$checkout")/shared"
mounts=(proc sys dev dev/pts var/cache/apt/archives root/.npm home/shared)

if [[ $(id -u) -ne 0 ]]; then
  echo "fresh-debian-root: needs root (debootstrap, chroot, bind mounts)" >&2
  exit 2
fi

unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "$root/${mounts[i]}" 2>/dev/null || true; done
}

build_base() {
  command -v debootstrap >/dev/null || {
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
  }
  # The mirror this machine's apt already uses.
  local mirror
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n "$mirror" ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n "$mirror" ]] || mirror=http://deb.debian.org/debian
  rm -rf "$cache/base.tmp"
  echo "fresh-debian-root: debootstrap bookworm minbase from $mirror (once per machine)"
  debootstrap --variant=minbase --include=ca-certificates,git bookworm "$cache/base.tmp" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 || {
    tail -20 "$cache/debootstrap.log" >&2
    exit 1
  }
  # A real Debian 12 install also has the updates and security suites.
  cat >"$cache/base.tmp/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  mv "$cache/base.tmp" "$cache/base"
}

mkdir -p "$cache/debs" "$cache/npm"
[[ -x "$cache/base/bin/bash" ]] || build_base

# A run killed before its clean-up may have left mounts: never delete through them.
unmount_all
rm -rf --one-file-system "$root"
cp -a "$cache/base" "$root"
git clone -q "$checkout" "$root/home/project"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A machine behind a TLS-intercepting proxy trusts the proxy's CA: carry its extra CAs over.
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
chroot "$root" update-ca-certificates >/dev/null 2>&1 || true

trap unmount_all EXIT
for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; done
mkdir -p "$root/var/cache/apt/archives" "$root/root/.npm"
mount --bind "$cache/debs" "$root/var/cache/apt/archives"
mount --bind "$cache/npm" "$root/root/.npm"
if [[ -d "$shared" ]]; then
  mkdir -p "$root/home/shared"
  mount --bind "$shared" "$root/home/shared"
  mount -o remount,bind,ro "$root/home/shared"
fi

run_as=(bash -lc)
if [[ "${APEX_FRESH_USER:-}" == 1 ]]; then
  # An ordinary user who may use sudo, as on a desktop install: sudo comes from the cache.
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -c 'apt-get update -q >/dev/null && apt-get install -y -q sudo >/dev/null &&
             useradd -m -s /bin/bash racer && echo "racer ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/racer &&
             chown -R racer: /home/project'
  run_as=(su racer -c)
fi
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CI="${CI:-}" LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  "${run_as[@]}" "cd /home/project && $command"
