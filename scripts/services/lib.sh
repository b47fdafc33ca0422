# Shared by scripts/services/{start,stop,status}.sh (sourced, not executed).
# Microservices mode on this machine: one `node services/<name>/dist/main.js` per service,
# against the infrastructure of scripts/infra. State (logs, pids) under .state/services.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_STATE="${CONFIDE_SERVICES_STATE:-$REPO_ROOT/.state/services}"
SERVICES_WAIT_SECS="${CONFIDE_SERVICES_WAIT_SECS:-90}"
# Start order (storage first: it migrates; the gateway last: its readiness needs its peers).
SERVICES=(storage lifecycle transcription insights ingest gateway)

# Listen addresses (docs/adr/0007-microservices-mode.md); each can be overridden from the environment.
INGEST_GRPC_ADDR="${INGEST_GRPC_ADDR:-127.0.0.1:50051}"
TRANSCRIPTION_GRPC_ADDR="${TRANSCRIPTION_GRPC_ADDR:-127.0.0.1:50052}"
INSIGHTS_GRPC_ADDR="${INSIGHTS_GRPC_ADDR:-127.0.0.1:50054}"
STORAGE_GRPC_ADDR="${STORAGE_GRPC_ADDR:-127.0.0.1:50055}"
LIFECYCLE_GRPC_ADDR="${LIFECYCLE_GRPC_ADDR:-127.0.0.1:50056}"
GATEWAY_HTTP_ADDR="${GATEWAY_HTTP_ADDR:-127.0.0.1:8080}"

svc_log() { printf '%s\n' "services: $*" >&2; }
svc_die() { printf '%s\n' "services: ERROR: $*" >&2; exit 1; }

# The address a service listens on.
svc_addr() {
  case "$1" in
    ingest) echo "$INGEST_GRPC_ADDR" ;;
    transcription) echo "$TRANSCRIPTION_GRPC_ADDR" ;;
    insights) echo "$INSIGHTS_GRPC_ADDR" ;;
    storage) echo "$STORAGE_GRPC_ADDR" ;;
    lifecycle) echo "$LIFECYCLE_GRPC_ADDR" ;;
    gateway) echo "$GATEWAY_HTTP_ADDR" ;;
    *) return 1 ;;
  esac
}

svc_main() { echo "$REPO_ROOT/services/$1/dist/main.js"; }

# svc_pid <name>: prints the pid when that service's process is alive and is ours.
svc_pid() {
  local file="$SERVICES_STATE/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$(svc_main "$1")" || return 1
  echo "$pid"
}

# svc_health <name> [wait-seconds]: grpc.health.v1 for the gRPC services, GET /readyz for the gateway.
svc_health() {
  local name=$1 wait=${2:-0}
  if [ "$name" = gateway ]; then
    node "$REPO_ROOT/scripts/services/health.js" http "http://$(svc_addr gateway)/readyz" "$wait"
  else
    node "$REPO_ROOT/scripts/services/health.js" grpc "$(svc_addr "$name")" "$wait"
  fi
}

# svc_port_busy <host:port>: true when something accepts connections there.
svc_port_busy() {
  local addr=$1
  (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null
}
