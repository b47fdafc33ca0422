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
[ $# -eq 1 ] || die "usage: scripts/db/dump.sh <file>"
if [ -z "${MIGRATION_DATABASE_URL:-}" ] && [ -f "$root/.state/infra/env" ]; then
  # shellcheck disable=SC1091
  source "$root/.state/infra/env"
fi
url="${BACKUP_DATABASE_URL:-${MIGRATION_DATABASE_URL:-}}"
[ -n "$url" ] || die "BACKUP_DATABASE_URL (a BYPASSRLS read-only role) or MIGRATION_DATABASE_URL is required"
pg_dump_bin="$(command -v pg_dump || true)"
if [ -n "${PG_BIN:-}" ]; then pg_dump_bin="$PG_BIN/pg_dump"; fi
if [ -z "$pg_dump_bin" ] && [ -x /usr/lib/postgresql/15/bin/pg_dump ]; then pg_dump_bin=/usr/lib/postgresql/15/bin/pg_dump; fi
[ -x "$pg_dump_bin" ] || die "pg_dump not found (set PG_BIN)"
eval "$(DUMP_URL="$url" node -e '
  const u = new URL(process.env.DUMP_URL);
  const q = (s) => "\x27" + s.replace(/\x27/g, "\x27\\\x27\x27") + "\x27";
  const out = { PGHOST: u.hostname, PGPORT: u.port || "5432", PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: decodeURIComponent(u.pathname.slice(1)) };
  const ssl = u.searchParams.get("sslmode"); if (ssl) out.PGSSLMODE = ssl;
  for (const [k, v] of Object.entries(out)) console.log(`export ${k}=${q(v)}`);
')"
"$pg_dump_bin" --format=custom --file="$1" --dbname="$PGDATABASE"
echo "dump: written (custom format)"
