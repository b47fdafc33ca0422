#!/usr/bin/env bash
# The whole test suite on the real components: builds, installs the pinned tools the tests
# need (cached under ~/.cache/confide), starts Kafka, OpenBao and PostgreSQL on loopback
# (scripts/infra), runs the policy tests and every Jest project (unit, integration, e2e),
# then stops the infrastructure it started. Extra arguments go to Jest.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm build
pnpm native:build >/dev/null
bash scripts/tools/install.sh kafka openbao opa

started=()
for c in kafka openbao postgres; do
  if ! bash scripts/infra/status.sh "$c" >/dev/null 2>&1; then started+=("$c"); fi
done
stop_infra() { if [ ${#started[@]} -gt 0 ]; then bash scripts/infra/down.sh "${started[@]}" || true; fi; }
trap stop_infra EXIT
bash scripts/infra/up.sh >/dev/null

bash policies/scripts/test.sh
bash policies/scripts/check-bundle.sh
pnpm exec jest --runInBand "$@"
