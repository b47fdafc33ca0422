#!/usr/bin/env bash
# Microservices mode on this machine: starts every service as its own process
# (`node services/<name>/dist/main.js`) against Kafka and PostgreSQL of scripts/infra (started
# first when they are not running), waits until each one is healthy and prints the endpoints.
# Idempotent: a service already running (pid file + matching command line) is left alone.
# Needs `pnpm build` (and `pnpm native:build` for transcription's ps-stream) beforehand.
#   bash scripts/services/start.sh [name...]          default: the dev issuer and all six
# Identity (docs/adr/0009-identity.md): OIDC_ISSUER (+ OIDC_JWKS_URL, OIDC_AUDIENCE) of your
# identity provider, or unset: the development issuer (scripts/services/dev-issuer.js) on
# DEV_ISSUER_ADDR (127.0.0.1:50070), whose tokens `pnpm token --tenant t1 --role admin --mfa` prints.
# Service keys (gateway, lifecycle, ingest, transcription, insights, storage) are created once under .state/services/keys.
# TLS: CONFIDE_SERVICES_CERTS_DIR=<folder of `pnpm certs:dev`> serves TLS 1.3 with mTLS everywhere.
# Environment: <NAME>_GRPC_ADDR / GATEWAY_HTTP_ADDR (listen addresses), LOG_LEVEL (info),
# CONFIDE_SERVICES_STATE (.state/services), CONFIDE_SERVICES_WAIT_SECS (90).
# Keys (docs/adr/0010-key-hierarchy.md): KMS=vault on the OpenBao of scripts/infra (VAULT_ADDR and
# VAULT_TOKEN_FILE from .state/infra/env; set both beforehand to use another Vault/OpenBao),
# KEY_REGISTRY_GRPC_ADDR (default STORAGE_GRPC_ADDR). The token itself is never in the environment.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${SERVICES[@]}")
# A real identity provider named by the caller: no development issuer.
if [ -n "${OIDC_ISSUER:-}" ]; then
  kept=(); for n in "${names[@]}"; do [ "$n" = issuer ] || kept+=("$n"); done; names=("${kept[@]}")
else
  export OIDC_ISSUER="http://$DEV_ISSUER_ADDR"
fi
for n in "${names[@]}"; do svc_addr "$n" >/dev/null || svc_die "unknown service '$n' (one of: ${SERVICES[*]})"; done

for n in "${names[@]}"; do
  [ -f "$(svc_main "$n")" ] || svc_die "$(svc_main "$n") is missing; run \`pnpm build\` first"
done
if printf '%s\n' "${names[@]}" | grep -qx transcription && [ ! -x "$REPO_ROOT/services/transcription/native/bin/ps-stream" ]; then
  svc_die "services/transcription/native/bin/ps-stream is missing; run \`pnpm native:build\` first"
fi

# Kafka, PostgreSQL and OpenBao (up.sh starts all three and writes the env file).
if ! bash "$REPO_ROOT/scripts/infra/status.sh" kafka postgres openbao >/dev/null 2>&1; then
  svc_log "infrastructure not healthy; starting it (scripts/infra/up.sh)"
  bash "$REPO_ROOT/scripts/infra/up.sh" >/dev/null
fi
# A Vault/OpenBao chosen by the caller (both variables set) wins over the one of scripts/infra.
caller_vault_addr="" caller_vault_token_file=""
if [ -n "${VAULT_ADDR:-}" ] && [ -n "${VAULT_TOKEN_FILE:-}" ]; then
  caller_vault_addr=$VAULT_ADDR caller_vault_token_file=$VAULT_TOKEN_FILE
fi
set -a
# shellcheck disable=SC1091
. "$REPO_ROOT/scripts/infra/env.sh"
set +a
if [ -n "$caller_vault_addr" ]; then VAULT_ADDR=$caller_vault_addr VAULT_TOKEN_FILE=$caller_vault_token_file; fi
[ -n "${VAULT_ADDR:-}" ] && [ -n "${VAULT_TOKEN_FILE:-}" ] || svc_die "VAULT_ADDR and VAULT_TOKEN_FILE are not set (.state/infra/env names them after scripts/infra/up.sh)"
[ -r "$VAULT_TOKEN_FILE" ] || svc_die "VAULT_TOKEN_FILE names a file that cannot be read"
export KMS=vault VAULT_ADDR VAULT_TOKEN_FILE KEY_REGISTRY_GRPC_ADDR

mkdir -p "$SERVICES_STATE"
chmod 700 "$SERVICES_STATE"
svc_identity_keys
export DEV_ISSUER_ADDR DEV_ISSUER_SOCKET="$SERVICES_STATE/issuer.sock"
export LOG_LEVEL="${LOG_LEVEL:-info}" EVENT_BUS=kafka
export STORAGE_GRPC_ADDR LIFECYCLE_GRPC_ADDR TRANSCRIPTION_GRPC_ADDR INSIGHTS_GRPC_ADDR GATEWAY_HTTP_ADDR

started=()
for n in "${names[@]}"; do
  if pid=$(svc_pid "$n"); then
    svc_log "$n already running (pid $pid)"
    continue
  fi
  addr=$(svc_addr "$n")
  if svc_port_busy "$addr"; then
    case $n in gateway) var=GATEWAY_HTTP_ADDR ;; issuer) var=DEV_ISSUER_ADDR ;; *) var="$(echo "$n" | tr a-z A-Z)_GRPC_ADDR" ;; esac
    svc_die "$n: $addr is already in use by another process; set $var to another address"
  fi
  log_file="$SERVICES_STATE/$n.log"
  (
    cd "$REPO_ROOT"
    if [ "$n" = gateway ]; then export GATEWAY_HTTP_ADDR="$addr"; else export GRPC_ADDR="$addr"; fi
    svc_identity_env "$n"
    svc_tls_env "$n"
    if [ "$n" = ingest ]; then export INGEST_INSTANCE_ID="${INGEST_INSTANCE_ID:-$(hostname | tr -c 'A-Za-z0-9._\n-' '-')-local}"; fi
    # Each service reads only what its own schema declares; the rest of the env is ignored.
    exec setsid node "$(svc_main "$n")" >>"$log_file" 2>&1 </dev/null
  ) &
  echo $! >"$SERVICES_STATE/$n.pid"
  started+=("$n")
  svc_log "$n starting (pid $!, log $log_file)"
done

failed=0
for n in "${names[@]}"; do
  if ! status=$(svc_health "$n" "$SERVICES_WAIT_SECS"); then
    if svc_pid "$n" >/dev/null; then
      svc_log "$n is not healthy after ${SERVICES_WAIT_SECS}s ($status)"
    else
      svc_log "$n exited"
    fi
    printf '%s\n' "---- last 20 lines of $SERVICES_STATE/$n.log ----" >&2
    tail -n 20 "$SERVICES_STATE/$n.log" >&2 || true
    failed=1
  fi
done
[ "$failed" -eq 0 ] || svc_die "some services did not become healthy (stop them with scripts/services/stop.sh)"

printf '%-14s %-8s %s\n' service pid endpoint
for n in "${names[@]}"; do
  addr=$(svc_addr "$n")
  case $n in
    gateway) ep="$([ -n "$SERVICES_CERTS_DIR" ] && echo https || echo http)://$addr  (REST; /healthz, /readyz; a token: pnpm -s token --tenant t1 --role admin --mfa)" ;;
    issuer) ep="http://$addr  (development OIDC issuer)" ;;
    *) ep="$addr  (gRPC)" ;;
  esac
  printf '%-14s %-8s %s\n' "$n" "$(svc_pid "$n" || echo -)" "$ep"
done
