#!/usr/bin/env bash
# Takes a custom-format dump of Confide's database for scripts/db/restore.sh.
# Usage: scripts/db/dump.sh <file>   (PG_BIN: folder of pg_dump)
# Every table is under FORCE ROW LEVEL SECURITY, so neither the application role nor the owner sees
# a row without a tenant: the dump runs as BACKUP_DATABASE_URL, a read-only role with BYPASSRLS
# (docs/adr/0013-restore.md: `CREATE ROLE confide_backup LOGIN BYPASSRLS` + SELECT on the tables),
# or a superuser. Falls back to MIGRATION_DATABASE_URL (works only where that role bypasses RLS,
# e.g. the embedded cluster's superuser).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
die() { echo "dump: $*" >&2; exit 1; }
. "$root/scripts/db/lib.sh"
[ $# -eq 1 ] || die "usage: scripts/db/dump.sh <file>"
if [ -z "${MIGRATION_DATABASE_URL:-}" ] && [ -f "$root/.state/infra/env" ]; then
  # shellcheck disable=SC1091
  source "$root/.state/infra/env"
fi
url="${BACKUP_DATABASE_URL:-${MIGRATION_DATABASE_URL:-}}"
[ -n "$url" ] || die "BACKUP_DATABASE_URL (a BYPASSRLS read-only role) or MIGRATION_DATABASE_URL is required"
pg_dump_bin="$(pg_tool pg_dump)" || die "pg_dump not found (set PG_BIN)"
pg_env_from_url "$url"
"$pg_dump_bin" --format=custom --file="$1" --dbname="$PGDATABASE"
echo "dump: written (custom format)"
