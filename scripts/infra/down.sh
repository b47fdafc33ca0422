#!/usr/bin/env bash
# Stops Kafka, OpenBao and PostgreSQL started by scripts/infra/up.sh and waits until their
# processes are gone. Data under .state/infra is kept (up.sh restarts and unseals it).
#   bash scripts/infra/down.sh [kafka] [openbao] [postgres]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

components=("$@"); [ ${#components[@]} -gt 0 ] || components=(kafka openbao postgres)

kafka_down() {
  local pid
  if pid=$(pid_of "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/server.properties"); then
    log "kafka: stopping (pid $pid)"
    stop_pid kafka "$pid" 90
  else
    log "kafka: not running"
  fi
  rm -f "$KAFKA_DIR/kafka.pid"
}
openbao_down() {
  local pid
  if pid=$(pid_of "$BAO_DIR/openbao.pid" "$BAO_DIR/config.hcl"); then
    log "openbao: stopping (pid $pid)"
    stop_pid openbao "$pid" 30
  else
    log "openbao: not running"
  fi
  rm -f "$BAO_DIR/openbao.pid"
}
postgres_down() {
  local bin pid
  if [ -f "$PG_DIR/data/postmaster.pid" ] && bin=$(pg_bindir) && as_pg "$bin/pg_ctl" -D "$PG_DIR/data" status > /dev/null 2>&1; then
    pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
    log "postgres: stopping (pid $pid)"
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop > /dev/null || stop_pid postgres "$pid" 30
    # pg_ctl returns once the postmaster is gone; make sure no backend outlived it.
    stop_pid postgres "$pid" 10
  else
    log "postgres: not running"
  fi
}

for c in "${components[@]}"; do
  case $c in kafka|openbao|postgres) "${c}_down" ;; *) die "unknown component '$c' (kafka, openbao, postgres)" ;; esac
done
log "stopped (${components[*]}); data kept in $STATE"
