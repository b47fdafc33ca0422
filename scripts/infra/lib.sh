# Shared by scripts/infra/{up,down,status}.sh (sourced). State lives under <repo>/.state/infra.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tools/lib.sh"

STATE="${CONFIDE_INFRA_STATE:-$REPO_ROOT/.state/infra}"
KAFKA_PORT="${CONFIDE_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${CONFIDE_KAFKA_CONTROLLER_PORT:-19093}"
OPENBAO_PORT="${CONFIDE_OPENBAO_PORT:-18200}"
POSTGRES_PORT="${CONFIDE_POSTGRES_PORT:-15433}"
WAIT_SECS="${CONFIDE_INFRA_WAIT_SECS:-90}"

KAFKA_DIR="$STATE/kafka"
BAO_DIR="$STATE/openbao"
PG_DIR="$STATE/postgres"
export VAULT_ADDR="http://127.0.0.1:$OPENBAO_PORT" BAO_ADDR="http://127.0.0.1:$OPENBAO_PORT"
# The bao CLI must not pick up a developer's own token helper/config.
export VAULT_CONFIG_PATH=/dev/null BAO_CONFIG_PATH=/dev/null

log() { printf '%s\n' "infra: $*" >&2; }
die() { printf '%s\n' "infra: ERROR: $*" >&2; exit 1; }
# die_log <message> <logfile>: fail with the tail of a component's log.
die_log() {
  printf '%s\n' "infra: ERROR: $1" >&2
  if [ -f "$2" ]; then printf '%s\n' "---- last 40 lines of $2 ----" >&2; tail -n 40 "$2" >&2; printf '%s\n' "----" >&2; fi
  exit 1
}

# pid_of <pidfile> <cmdline-substring>: prints the pid when that process is alive and is ours.
pid_of() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid <name> <pid> [secs]: SIGTERM, wait until gone, SIGKILL after the grace period.
stop_pid() {
  local name=$1 pid=$2 secs=${3:-60} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 4; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  log "$name (pid $pid) still running after ${secs}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  die "$name (pid $pid) did not exit"
}

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}
# as_pg <cmd...>: run a PostgreSQL server command as the `postgres` OS user when we are root
# (the server refuses to run as root), else as ourselves.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
node_script() { node "$REPO_ROOT/scripts/infra/$1" "${@:2}"; }
