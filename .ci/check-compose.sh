#!/usr/bin/env bash
# Checks that docker-compose.yml parses and validates (`config --quiet`); no Docker engine needed.
# Uses the `docker compose` plugin when there is one, else Debian's docker-compose 1.29 (installed
# from apt without the docker.io engine it recommends). Exits non-zero on an invalid file.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  docker compose config --quiet
  echo "docker-compose.yml: valid (docker compose $(docker compose version --short))"
  exit 0
fi

if ! command -v docker-compose >/dev/null 2>&1; then
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  export DEBIAN_FRONTEND=noninteractive
  install_compose() { sudo_if_needed apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
  install_compose || { sudo_if_needed apt-get update -qq && install_compose; }
fi
docker-compose config --quiet
echo "docker-compose.yml: valid (docker-compose $(docker-compose version --short))"
