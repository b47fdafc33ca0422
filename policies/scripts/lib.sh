# Sourced by the policy scripts: repository root and the opa binary.
# opa is looked up in $OPA, then <repo>/.tools/bin/opa (scripts/tools/install.sh), then PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AUTHZ_DIR="policies/authz"
DIST_DIR="policies/dist"
ENTRYPOINT="confide/authz/decision"

find_opa() {
  if [[ -n "${OPA:-}" ]]; then
    [[ -x "$OPA" ]] || { echo "OPA=$OPA is not an executable" >&2; return 1; }
    echo "$OPA"
  elif [[ -x "$ROOT/.tools/bin/opa" ]]; then
    echo "$ROOT/.tools/bin/opa"
  elif command -v opa >/dev/null 2>&1; then
    command -v opa
  else
    echo "opa not found: run 'pnpm tools' (scripts/tools/install.sh), put opa on PATH or set OPA" >&2
    return 1
  fi
}

opa_version() {
  "$1" version | awk '/^Version:/ { print $2 }'
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# One hash over everything that determines the bundle: the policy modules (not the tests)
# and the build script (entrypoint and flags). Paths are relative to the repository root.
sources_hash() {
  (
    cd "$ROOT"
    { find "$AUTHZ_DIR" -type f -name '*.rego' ! -name '*_test.rego'; echo policies/scripts/build.sh; } |
      LC_ALL=C sort | while read -r f; do sha256_of "$f"; done | sha256_of | awk '{ print $1 }'
  )
}
