#!/usr/bin/env bash
# Fails when the committed WASM bundle in policies/dist does not match the rego sources:
#  1. the hash of the sources (policies/authz/*.rego without tests, and build.sh) must equal
#     the one recorded in policies/dist/bundle.sha256 when the bundle was built;
#  2. bundle.tar.gz and policy.wasm must be the files that build produced (recorded hashes);
#  3. if opa of the recorded version is available, the bundle is rebuilt and compared byte
#     for byte (opa build is deterministic for a given version).
# Needs no opa for 1-2. Usage: policies/scripts/check-bundle.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
manifest="$DIST_DIR/bundle.sha256"
stale() {
  echo "FAIL: $1" >&2
  echo "rebuild with policies/scripts/build.sh and commit policies/dist" >&2
  exit 1
}
field() { awk -v k="$1" '$1 == k { print $2 }' "$manifest"; }

[[ -f "$manifest" && -f "$DIST_DIR/bundle.tar.gz" && -f "$DIST_DIR/policy.wasm" ]] ||
  stale "$DIST_DIR is incomplete (bundle.tar.gz, policy.wasm, bundle.sha256)"

[[ "$(sources_hash)" == "$(field sources)" ]] ||
  stale "the policy sources changed since the bundle was built"
[[ "$(sha256_of "$DIST_DIR/bundle.tar.gz" | awk '{ print $1 }')" == "$(field bundle)" ]] ||
  stale "bundle.tar.gz is not the file the build recorded"
[[ "$(sha256_of "$DIST_DIR/policy.wasm" | awk '{ print $1 }')" == "$(field wasm)" ]] ||
  stale "policy.wasm is not the file the build recorded"

if OPA_BIN="$(find_opa 2>/dev/null)" && [[ "$(opa_version "$OPA_BIN")" == "$(field opa)" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$OPA_BIN" build -t wasm -e "$(field entrypoint)" --ignore '*_test.rego' --ignore testdata "$AUTHZ_DIR" -o "$tmp/bundle.tar.gz"
  cmp -s "$tmp/bundle.tar.gz" "$DIST_DIR/bundle.tar.gz" ||
    stale "a rebuild with opa $(field opa) differs from the committed bundle"
  echo "policy bundle is fresh (sources hash and byte-for-byte rebuild with opa $(field opa))"
else
  echo "policy bundle is fresh (sources hash; opa $(field opa) not available for a rebuild check)"
fi
