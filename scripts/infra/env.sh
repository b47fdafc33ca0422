# Source me: `source scripts/infra/env.sh` (from anywhere) exports KAFKA_BROKERS, VAULT_ADDR,
# VAULT_TOKEN_FILE, DATABASE_URL and MIGRATION_DATABASE_URL written by scripts/infra/up.sh.
__confide_env="${CONFIDE_INFRA_STATE:-$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/../.." && pwd)/.state/infra}/env"
if [ -r "$__confide_env" ]; then
  . "$__confide_env"
else
  echo "infra: $__confide_env not found; run scripts/infra/up.sh first" >&2
  unset __confide_env
  return 1 2>/dev/null || exit 1
fi
unset __confide_env
