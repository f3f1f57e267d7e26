#!/usr/bin/env bash
# Installs a Valkey server for the e2e tests when none is on PATH.
# Valkey 8 comes from Debian bookworm-backports, on the same mirror the machine already uses;
# redis-server 7 from bookworm main is the fallback (same protocol, our second target).
set -euo pipefail

if command -v valkey-server >/dev/null 2>&1 || command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

sources=/etc/apt/sources.list.d/debian.sources
backports=/etc/apt/sources.list.d/bookworm-backports.sources
if [ -f "$sources" ] && [ ! -f "$backports" ]; then
  # The first URIs line is the main archive mirror (the security archive comes after it).
  mirror=$(awk '/^URIs:/ { print $2; exit }' "$sources")
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" | sudo_if_needed tee "$backports" >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
sudo_if_needed apt-get update -qq
if ! sudo_if_needed apt-get install -y -qq -t bookworm-backports valkey-server valkey-tools; then
  echo "valkey-server unavailable from bookworm-backports; installing redis-server instead" >&2
  sudo_if_needed apt-get install -y -qq redis-server redis-tools
fi
# The packages start a system service on 6379; the tests start their own servers on free ports.
(command -v systemctl >/dev/null && sudo_if_needed systemctl disable --now valkey-server redis-server) >/dev/null 2>&1 || true
