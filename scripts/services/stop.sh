#!/usr/bin/env bash
# Stops the services started by scripts/services/start.sh: SIGTERM (graceful: NOT_SERVING,
# drain streams, leave the consumer groups), waits until every process is gone, SIGKILL after
# CONFIDE_SERVICES_STOP_SECS (40; the services' own hard limit is 30 s). Idempotent.
# Leaves the infrastructure running (scripts/infra/down.sh stops it).
#   bash scripts/services/stop.sh [name...]          default: all six and the dev issuer
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
STOP_SECS="${CONFIDE_SERVICES_STOP_SECS:-40}"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  # Reverse start order: the entry points (gateway, ingest) stop taking work first.
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do names+=("${SERVICES[$i]}"); done
fi

declare -A pids=()
for n in "${names[@]}"; do
  svc_addr "$n" >/dev/null || svc_die "unknown service '$n' (one of: ${SERVICES[*]})"
  if pid=$(svc_pid "$n"); then
    kill -TERM "$pid" 2>/dev/null || true
    pids[$n]=$pid
    svc_log "$n: SIGTERM (pid $pid)"
  else
    rm -f "$SERVICES_STATE/$n.pid"
  fi
done

for ((i = 0; i < STOP_SECS * 4; i++)); do
  alive=0
  for n in "${!pids[@]}"; do kill -0 "${pids[$n]}" 2>/dev/null && alive=1; done
  [ "$alive" -eq 0 ] && break
  sleep 0.25
done
for n in "${!pids[@]}"; do
  if kill -0 "${pids[$n]}" 2>/dev/null; then
    svc_log "$n (pid ${pids[$n]}) still running after ${STOP_SECS}s; sending SIGKILL"
    kill -KILL "${pids[$n]}" 2>/dev/null || true
    for ((j = 0; j < 40; j++)); do kill -0 "${pids[$n]}" 2>/dev/null || break; sleep 0.25; done
    kill -0 "${pids[$n]}" 2>/dev/null && svc_die "$n (pid ${pids[$n]}) did not exit"
  fi
  rm -f "$SERVICES_STATE/$n.pid"
  svc_log "$n stopped"
done
