#!/usr/bin/env bash
# Regenerates packages/contracts/src/gen from proto/ with ts-proto (through buf), then the index.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf packages/contracts/src/gen
pnpm exec buf generate
node scripts/contracts-index.js
