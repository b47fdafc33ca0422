#!/usr/bin/env bash
# Compiles the authorization policies to a WASM bundle:
#   policies/dist/bundle.tar.gz   the OPA bundle (policy.wasm + the rego sources + manifest)
#   policies/dist/policy.wasm     the module alone, for @open-policy-agent/opa-wasm
#   policies/dist/bundle.sha256   hash of the sources it was built from (see check-bundle.sh)
# The output is committed (docs/adr/0004-authorization-policies.md); CI runs
# check-bundle.sh to prove it is fresh. Usage: policies/scripts/build.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPA_BIN="$(find_opa)"
OUT="${1:-$DIST_DIR}"
cd "$ROOT"
mkdir -p "$OUT"

"$OPA_BIN" build -t wasm -e "$ENTRYPOINT" --ignore '*_test.rego' --ignore testdata "$AUTHZ_DIR" -o "$OUT/bundle.tar.gz"
tar -xzf "$OUT/bundle.tar.gz" -C "$OUT" /policy.wasm 2>/dev/null || tar -xzf "$OUT/bundle.tar.gz" -C "$OUT" policy.wasm
chmod 644 "$OUT/bundle.tar.gz" "$OUT/policy.wasm"

{
  echo "# Written by policies/scripts/build.sh; checked by policies/scripts/check-bundle.sh."
  echo "sources $(sources_hash)"
  echo "opa $(opa_version "$OPA_BIN")"
  echo "entrypoint $ENTRYPOINT"
  echo "bundle $(cd "$OUT" && sha256_of bundle.tar.gz | awk '{ print $1 }')"
  echo "wasm $(cd "$OUT" && sha256_of policy.wasm | awk '{ print $1 }')"
} >"$OUT/bundle.sha256"
echo "built $OUT/bundle.tar.gz and $OUT/policy.wasm with opa $(opa_version "$OPA_BIN")"
