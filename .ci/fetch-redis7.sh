#!/usr/bin/env bash
# Unpacks Debian's own redis-server 7.0 (bookworm) into a directory beside the Valkey install,
# without installing the package (no service, nothing on PATH), for the e2e run against Redis 7.0.
# Prints the directory holding redis-server and redis-cli. Idempotent: a second run reuses it.
# Usage: bash .ci/fetch-redis7.sh [target dir]   (default: .cache/redis7 in the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-.cache/redis7}
bin="$target/usr/bin"

if [ -x "$bin/redis-cli" ] && "$bin/redis-server" --version 2>/dev/null | grep -q 'v=7\.0\.'; then
  echo "$(cd "$bin" && pwd)"
  exit 0
fi

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive

# The shared libraries the binaries link against (the packages' own Depends), libraries only.
libs=(libatomic1 libjemalloc2 liblzf1 libssl3 libsystemd0)
install_libs() { sudo_if_needed apt-get install -y -qq --no-install-recommends "${libs[@]}" >/dev/null; }

download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# `apt-get download` writes to the current directory; the _apt sandbox user needs to write there too.
chmod 0777 "$download"
fetch_debs() { (cd "$download" && apt-get download -qq redis-server redis-tools); }
if ! fetch_debs || ! install_libs; then
  sudo_if_needed apt-get update -qq
  fetch_debs
  install_libs
fi

mkdir -p "$target"
for deb in "$download"/redis-server_*.deb "$download"/redis-tools_*.deb; do
  dpkg-deb -x "$deb" "$target"
done

version=$("$bin/redis-server" --version)
echo "$version" >&2
# Debian releases after bookworm ship another Redis line: say so rather than test the wrong server.
case "$version" in
  *"v=7.0."*) ;;
  *) echo "expected Redis 7.0 (Debian bookworm's redis-server), got: $version" >&2; exit 1 ;;
esac
echo "$(cd "$bin" && pwd)"
