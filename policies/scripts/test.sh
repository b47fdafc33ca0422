#!/usr/bin/env bash
# Formats, type-checks and unit-tests the authorization policies, then fails if the line
# coverage of the policy modules (the *_test.rego files excluded) is below COVERAGE_MIN
# (default 90). Usage: policies/scripts/test.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPA_BIN="$(find_opa)"
COVERAGE_MIN="${COVERAGE_MIN:-90}"
cd "$ROOT"
echo "opa $(opa_version "$OPA_BIN") ($OPA_BIN)"

"$OPA_BIN" fmt --list --fail "$AUTHZ_DIR" >/dev/null || {
  echo "rego not formatted: run '$OPA_BIN fmt -w $AUTHZ_DIR'" >&2
  "$OPA_BIN" fmt --list "$AUTHZ_DIR" >&2
  exit 1
}
"$OPA_BIN" check --strict "$AUTHZ_DIR"
"$OPA_BIN" test "$AUTHZ_DIR" -v

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
"$OPA_BIN" test "$AUTHZ_DIR" --coverage --format json >"$report"

# covered and not-covered lines of the policy modules only
policy_files='[f | some name, f in input.files; not endswith(name, "_test.rego")]'
read -r covered missed < <("$OPA_BIN" eval --format raw --stdin-input \
  "sprintf(\"%d %d\", [sum([object.get(f, \"covered_lines\", 0) | some f in $policy_files]), sum([object.get(f, \"not_covered_lines\", 0) | some f in $policy_files])])" \
  <"$report") || true
if [[ -z "${covered:-}" || $((covered + missed)) -eq 0 ]]; then
  echo "could not read coverage from 'opa test --coverage' output" >&2
  exit 1
fi
pct="$(awk -v c="$covered" -v m="$missed" 'BEGIN { printf "%.2f", 100 * c / (c + m) }')"
echo "policy coverage: ${pct}% (${covered} of $((covered + missed)) lines; minimum ${COVERAGE_MIN}%)"
if awk -v p="$pct" -v min="$COVERAGE_MIN" 'BEGIN { exit !(p < min) }'; then
  echo "not covered:" >&2
  "$OPA_BIN" eval --format pretty --stdin-input \
    '{name: {sprintf("%d-%d", [r.start.row, r.end.row]) | some r in f.not_covered} | some name, f in input.files; not endswith(name, "_test.rego"); f.not_covered}' \
    <"$report" >&2
  echo "FAIL: policy coverage ${pct}% is below ${COVERAGE_MIN}%" >&2
  exit 1
fi
