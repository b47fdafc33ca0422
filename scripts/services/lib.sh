# Shared by scripts/services/{start,stop,status}.sh (sourced, not executed).
# Microservices mode on this machine: one `node services/<name>/dist/main.js` per service,
# against the infrastructure of scripts/infra. State (logs, pids) under .state/services.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_STATE="${CONFIDE_SERVICES_STATE:-$REPO_ROOT/.state/services}"
SERVICES_WAIT_SECS="${CONFIDE_SERVICES_WAIT_SECS:-90}"
# Start order (the dev issuer first; storage next: it migrates; the gateway last: its readiness
# needs its peers). `issuer` is the development OIDC issuer (scripts/services/dev-issuer.js); it
# is not started when the caller names a real one in OIDC_ISSUER.
SERVICES=(issuer storage lifecycle transcription insights ingest gateway)

# Listen addresses (docs/adr/0007-microservices-mode.md); each can be overridden from the environment.
INGEST_GRPC_ADDR="${INGEST_GRPC_ADDR:-127.0.0.1:50051}"
TRANSCRIPTION_GRPC_ADDR="${TRANSCRIPTION_GRPC_ADDR:-127.0.0.1:50052}"
INSIGHTS_GRPC_ADDR="${INSIGHTS_GRPC_ADDR:-127.0.0.1:50054}"
STORAGE_GRPC_ADDR="${STORAGE_GRPC_ADDR:-127.0.0.1:50055}"
LIFECYCLE_GRPC_ADDR="${LIFECYCLE_GRPC_ADDR:-127.0.0.1:50056}"
GATEWAY_HTTP_ADDR="${GATEWAY_HTTP_ADDR:-127.0.0.1:8080}"
DEV_ISSUER_ADDR="${DEV_ISSUER_ADDR:-127.0.0.1:50070}"
# TLS (docs/adr/0008-tls.md): a folder laid out like scripts/certs/dev.sh's (ca.crt, <name>.crt,
# <name>.key): every service then serves TLS 1.3 with mTLS between them, the gateway HTTPS.
SERVICES_CERTS_DIR="${CONFIDE_SERVICES_CERTS_DIR:-}"
# Service identities (docs/adr/0009-identity.md): ed25519 keys of the services that call others.
SERVICE_KEYS_DIR="$SERVICES_STATE/keys"
# Where ingest, transcription, insights and lifecycle reach the key registry (hosted by storage).
KEY_REGISTRY_GRPC_ADDR="${KEY_REGISTRY_GRPC_ADDR:-$STORAGE_GRPC_ADDR}"

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
    issuer) echo "$DEV_ISSUER_ADDR" ;;
    *) return 1 ;;
  esac
}

svc_main() {
  if [ "$1" = issuer ]; then echo "$REPO_ROOT/scripts/services/dev-issuer.js"; else echo "$REPO_ROOT/services/$1/dist/main.js"; fi
}

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
  local name=$1 wait=${2:-0} scheme=http
  if [ -n "$SERVICES_CERTS_DIR" ] && [ "$name" != issuer ]; then
    export HEALTH_TLS_CA_FILE="$SERVICES_CERTS_DIR/ca.crt" HEALTH_TLS_CERT_FILE="$SERVICES_CERTS_DIR/gateway.crt" HEALTH_TLS_KEY_FILE="$SERVICES_CERTS_DIR/gateway.key"
    scheme=https
  fi
  if [ "$name" = gateway ]; then
    node "$REPO_ROOT/scripts/services/health.js" http "$scheme://$(svc_addr gateway)/readyz" "$wait"
  elif [ "$name" = issuer ]; then
    node "$REPO_ROOT/scripts/services/health.js" http "http://$(svc_addr issuer)/.well-known/openid-configuration" "$wait"
  else
    node "$REPO_ROOT/scripts/services/health.js" grpc "$(svc_addr "$name")" "$wait"
  fi
}

# svc_port_busy <host:port>: true when something accepts connections there.
svc_port_busy() {
  local addr=$1
  (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null
}

# svc_identity_keys: the ed25519 key pairs of the services that call others (PKCS#8 / SPKI PEM,
# 0600), created once under $SERVICE_KEYS_DIR: gateway and lifecycle, ingest, transcription and
# insights (they call storage's key registry) and storage (it reads the staff grants from
# lifecycle). Storage trusts the first five; lifecycle trusts gateway and storage.
# The callers storage trusts (each signs its calls with its own key).
STORAGE_CALLERS="gateway lifecycle ingest transcription insights"
svc_identity_keys() {
  mkdir -p "$SERVICE_KEYS_DIR"
  chmod 700 "$SERVICE_KEYS_DIR"
  local who
  for who in $STORAGE_CALLERS storage; do
    if [ ! -s "$SERVICE_KEYS_DIR/$who.key.pem" ]; then
      (umask 077 && openssl genpkey -algorithm ed25519 -out "$SERVICE_KEYS_DIR/$who.key.pem" 2>/dev/null) ||
        svc_die "could not create the $who service key (openssl genpkey -algorithm ed25519)"
      rm -f "$SERVICE_KEYS_DIR/$who.pub.pem"
    fi
    [ -s "$SERVICE_KEYS_DIR/$who.pub.pem" ] || openssl pkey -in "$SERVICE_KEYS_DIR/$who.key.pem" -pubout -out "$SERVICE_KEYS_DIR/$who.pub.pem" 2>/dev/null
  done
}

# svc_tls_env <name>: exports TLS_CERT_FILE/TLS_KEY_FILE/TLS_CA_FILE of one service (in its subshell).
svc_tls_env() {
  [ -n "$SERVICES_CERTS_DIR" ] && [ "$1" != issuer ] || return 0
  [ -r "$SERVICES_CERTS_DIR/$1.crt" ] || svc_die "$SERVICES_CERTS_DIR/$1.crt is missing (CERTS_DIR=$SERVICES_CERTS_DIR pnpm certs:dev)"
  export TLS_CERT_FILE="$SERVICES_CERTS_DIR/$1.crt" TLS_KEY_FILE="$SERVICES_CERTS_DIR/$1.key" TLS_CA_FILE="$SERVICES_CERTS_DIR/ca.crt"
}

# svc_identity_env <name>: exports the identity variables of one service (in its subshell).
svc_identity_env() {
  case "$1" in
    gateway) export SUBJECT_ASSERTION_KEY_FILE="$SERVICE_KEYS_DIR/gateway.key.pem" ;;
    storage)
      local who trusted=""
      for who in $STORAGE_CALLERS; do trusted="${trusted:+$trusted,}$who=$SERVICE_KEYS_DIR/$who.pub.pem"; done
      export SUBJECT_ASSERTION_TRUSTED_KEYS="$trusted"
      export SUBJECT_ASSERTION_KEY_FILE="$SERVICE_KEYS_DIR/storage.key.pem" ;;
    ingest) export SUBJECT_ASSERTION_KEY_FILE="$SERVICE_KEYS_DIR/$1.key.pem" ;;
    # Their gRPC services answer the gateway only (GET /api/tenant/processing).
    transcription | insights)
      export SUBJECT_ASSERTION_KEY_FILE="$SERVICE_KEYS_DIR/$1.key.pem"
      export SUBJECT_ASSERTION_TRUSTED_KEYS="gateway=$SERVICE_KEYS_DIR/gateway.pub.pem" ;;
    lifecycle)
      export SUBJECT_ASSERTION_TRUSTED_KEYS="gateway=$SERVICE_KEYS_DIR/gateway.pub.pem,storage=$SERVICE_KEYS_DIR/storage.pub.pem"
      export SUBJECT_ASSERTION_KEY_FILE="$SERVICE_KEYS_DIR/lifecycle.key.pem" ;;
  esac
}
