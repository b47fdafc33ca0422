#!/usr/bin/env bash
# Restores a PostgreSQL dump of Confide and re-applies every erasure made after the dump was taken
# (docs/adr/0013-restore.md). Run it with every service stopped (nothing may read or write the
# database between step 1 and step 2), then start the services.
#
#   scripts/db/restore.sh <dump> [reapply options: --journal <file.jsonl>... --no-kafka --dry-run ...]
#
# <dump>: a custom-format dump (`pg_dump -Fc`, as the migration role), e.g. from scripts/db/dump.sh.
# Environment (or .state/infra/env, as `pnpm infra:up` writes it):
#   MIGRATION_DATABASE_URL  the role that owns the schema: runs pg_restore
#   DATABASE_URL            the application role: runs the re-apply (RLS, one tenant at a time)
#   KAFKA_BROKERS           the erasure journal (confide.lifecycle.v1)
#   KMS, VAULT_ADDR, VAULT_TOKEN_FILE, ...  the KMS of the deployment (the one that destroyed the keys)
#   PG_BIN                  folder of pg_restore (default: PATH, then /usr/lib/postgresql/15/bin)
# Steps:
#   1. pg_restore (as SQL, --no-owner) replayed by psql as the migration role in ONE transaction:
#      Confide's tables and functions dropped, re-created, rows loaded (FORCE RLS lifted for the
#      load and forced again inside the same transaction), indexes/triggers/policies; all or
#      nothing. The database is exactly the dump afterwards.
#   2. node scripts/db/reapply-erasures.mjs: tenants whose key the KMS no longer has are purged
#      again; every MeetingErased on Kafka (and every --journal line) gets its keys destroyed and
#      rows purged again; tombstones recorded again. Fails closed; idempotent: re-run on failure.
# Nothing secret is printed: passwords go to libpq through the environment, never argv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
die() { echo "restore: $*" >&2; exit 1; }
. "$root/scripts/db/lib.sh"

[ $# -ge 1 ] || die "usage: scripts/db/restore.sh <dump> [--journal <file.jsonl>]... [--no-kafka] [--dry-run]"
dump="$1"; shift
[ -r "$dump" ] || die "cannot read the dump file"

if [ -z "${MIGRATION_DATABASE_URL:-}" ] && [ -f "$root/.state/infra/env" ]; then
  # shellcheck disable=SC1091
  source "$root/.state/infra/env"
fi
[ -n "${MIGRATION_DATABASE_URL:-}" ] || die "MIGRATION_DATABASE_URL (the schema owner) is required"
[ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL (the application role) is required"

pg_restore_bin="$(pg_tool pg_restore)" || die "pg_restore not found (set PG_BIN)"

# libpq variables from the URL (the password never appears on a command line).
pg_env_from_url "$MIGRATION_DATABASE_URL"

echo "restore: 1/2 pg_restore into database ${PGDATABASE} on ${PGHOST}:${PGPORT} as ${PGUSER}"
# The tables are under FORCE ROW LEVEL SECURITY, which binds their owner too: the owner's COPY of
# the rows would be refused. So, in ONE transaction (all or nothing; no other session ever sees a
# table without forced RLS, ALTER TABLE holds its lock until the commit): drop Confide's objects,
# create them (pre-data), lift FORCE on exactly the tables that have it, load the rows (data),
# force RLS again, then indexes, constraints, triggers, policies (post-data).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for section in pre-data data post-data; do
  "$pg_restore_bin" --no-owner --section="$section" --file="$work/$section.sql" "$dump"
done
cat > "$work/clean.sql" <<'SQL'
DO $clean$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND pg_has_role(c.relowner, 'USAGE') LOOP
    EXECUTE format('DROP TABLE IF EXISTS %s CASCADE', r.t);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND pg_has_role(p.proowner, 'USAGE') LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.f);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_has_role(c.relowner, 'USAGE') LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %s CASCADE', r.s);
  END LOOP;
END $clean$;
SQL
cat > "$work/unforce.sql" <<'SQL'
CREATE TEMP TABLE confide_restore_forced ON COMMIT DROP AS
  SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relforcerowsecurity;
DO $u$ DECLARE r record; BEGIN
  FOR r IN SELECT t FROM confide_restore_forced LOOP EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', r.t); END LOOP;
END $u$;
SQL
cat > "$work/reforce.sql" <<'SQL'
DO $f$ DECLARE r record; BEGIN
  FOR r IN SELECT t FROM confide_restore_forced LOOP EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', r.t); END LOOP;
END $f$;
SQL
psql_bin="$(dirname "$pg_restore_bin")/psql"
[ -x "$psql_bin" ] || psql_bin="$(command -v psql || true)"
[ -x "$psql_bin" ] || die "psql not found next to pg_restore (set PG_BIN)"
"$psql_bin" --no-psqlrc --quiet --single-transaction -v ON_ERROR_STOP=1 --dbname="$PGDATABASE" \
  -f "$work/clean.sql" -f "$work/pre-data.sql" -f "$work/unforce.sql" -f "$work/data.sql" -f "$work/reforce.sql" -f "$work/post-data.sql" >/dev/null
unset PGPASSWORD

echo "restore: 2/2 re-applying the erasures recorded outside the database"
node "$root/scripts/db/reapply-erasures.mjs" "$@"
echo "restore: done — the services may be started"
