#!/usr/bin/env bash
# Prepares a fresh Debian machine for Confide, idempotently, then runs `pnpm <args>`:
#   bash scripts/bootstrap.sh demo    — the platform plus a demo meeting end to end
#   bash scripts/bootstrap.sh test    — the test suite
# Installs: Debian speech packages (pocketsphinx, flite, sox, build headers), the pnpm
# version pinned in package.json, the locked dependencies, and the native recognizer.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONFIDE_CACHE="${CONFIDE_CACHE:-$HOME/.cache/confide}"
mkdir -p "$CONFIDE_CACHE"

apt_packages=(pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev pkg-config gcc flite sox)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "bootstrap: installing pnpm $pnpm_version"
  npm install -g --silent "pnpm@$pnpm_version" >/dev/null
fi

export npm_config_store_dir="$CONFIDE_CACHE/pnpm-store"
pnpm install --frozen-lockfile --reporter=silent
pnpm native:build >/dev/null

if [ $# -gt 0 ]; then exec pnpm "$@"; fi
