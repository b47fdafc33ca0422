# Shared by scripts/db/{dump,restore}.sh (sourced, not executed).

# pg_tool <name>: the path of a PostgreSQL client program (PG_BIN, then PATH, then Debian's 15).
pg_tool() {
  local bin=""
  if [ -n "${PG_BIN:-}" ]; then bin="$PG_BIN/$1"; else bin="$(command -v "$1" || true)"; fi
  if [ -z "$bin" ] && [ -x "/usr/lib/postgresql/15/bin/$1" ]; then bin="/usr/lib/postgresql/15/bin/$1"; fi
  [ -x "$bin" ] || return 1
  echo "$bin"
}

# pg_env_from_url <url>: exports PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE)
# from a postgres:// URL, so that the password reaches libpq through the environment, never argv.
pg_env_from_url() {
  eval "$(PG_URL="$1" node -e '
    const u = new URL(process.env.PG_URL);
    const q = (s) => "\x27" + s.replace(/\x27/g, "\x27\\\x27\x27") + "\x27";
    const out = { PGHOST: u.hostname, PGPORT: u.port || "5432", PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: decodeURIComponent(u.pathname.slice(1)) };
    const ssl = u.searchParams.get("sslmode"); if (ssl) out.PGSSLMODE = ssl;
    for (const [k, v] of Object.entries(out)) process.stdout.write(`export ${k}=${q(v)}\n`);
  ')"
}
