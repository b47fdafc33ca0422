#!/usr/bin/env bash
# One line per service started by scripts/services/start.sh: pid, endpoint, health
# (grpc.health.v1 Check for the gRPC services, GET /readyz for the gateway). Exit 1 if any
# is not running or not healthy.
#   bash scripts/services/status.sh [name...]          default: the dev issuer and all six
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${SERVICES[@]}")
rc=0
for n in "${names[@]}"; do
  addr=$(svc_addr "$n") || svc_die "unknown service '$n' (one of: ${SERVICES[*]})"
  if ! pid=$(svc_pid "$n"); then
    printf '%-14s FAIL not running (bash scripts/services/start.sh)\n' "$n"
    rc=1
    continue
  fi
  if health=$(svc_health "$n" 0); then
    printf '%-14s ok   pid %-7s %s %s\n' "$n" "$pid" "$addr" "$health"
  else
    printf '%-14s FAIL pid %-7s %s %s\n' "$n" "$pid" "$addr" "$health"
    rc=1
  fi
done
exit "$rc"
