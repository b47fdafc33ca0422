#!/usr/bin/env bash
# Drift check: lint the protos, regenerate the contracts, and fail if anything changed.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm exec buf lint
if [ -n "${BUF_BREAKING_AGAINST:-}" ]; then pnpm exec buf breaking --against "$BUF_BREAKING_AGAINST"; fi
bash scripts/proto-gen.sh
if ! git diff --quiet --exit-code -- packages/contracts/src || [ -n "$(git status --porcelain -- packages/contracts/src)" ]; then
  echo "proto:check: generated contracts differ from proto/ — run 'pnpm proto:gen' and commit" >&2
  git status --porcelain -- packages/contracts/src >&2
  exit 1
fi
echo "proto:check: contracts are up to date"
