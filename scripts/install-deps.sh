#!/usr/bin/env bash
# Installs the Debian packages latchkeyd needs to build and test, if missing.
# Works as root or through sudo; does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libpistache-dev libssl-dev nlohmann-json3-dev libcpp-jwt-dev
  libboost-test-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  libcli11-dev libspdlog-dev sqlite3 python3 python3-jwt python3-cryptography python3-jsonschema curl jq
  openssl ca-certificates postgresql clang-format
  prometheus  # for promtool, which checks GET /metrics in the tests
)

# Node.js runs the real authorization server (oidc-provider) in the OAuth
# tests; the machine's own Node.js is used when there is one.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
