#!/usr/bin/env bash
# Installs PostgreSQL for the task-history e2e tests when no server binary is present (Debian keeps
# them in /usr/lib/postgresql/<n>/bin, off PATH). The tests run their own server from a temp dir
# (startPostgres in nestjs-valkey-queue/testing), so the packaged cluster is not used.
set -euo pipefail

if command -v postgres >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  exit 0
fi

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export DEBIAN_FRONTEND=noninteractive
sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq postgresql
# The package may start a system cluster on 5432; the tests start their own servers on free ports.
(command -v systemctl >/dev/null && sudo_if_needed systemctl disable --now postgresql) >/dev/null 2>&1 || true
