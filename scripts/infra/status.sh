#!/usr/bin/env bash
# Proves each component works, one line each, exit 1 if any fails:
#   kafka     produce + consume a message on a scratch topic, all project topics present
#   openbao   unsealed, Transit mounted, encrypt/decrypt round trip with the confide token
#   postgres  a query as the app role (confide_app: no superuser, no BYPASSRLS)
#   bash scripts/infra/status.sh [kafka] [openbao] [postgres]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

components=("$@"); [ ${#components[@]} -gt 0 ] || components=(kafka openbao postgres)
failed=0
line() { printf '%-9s %-4s %s\n' "$1" "$2" "$3"; [ "$2" = ok ] || failed=1; }

kafka_status() {
  local out pid
  pid=$(pid_of "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/server.properties") || { line kafka FAIL "not running (bash scripts/infra/up.sh)"; return; }
  if out=$(node_script kafka-admin.js check "127.0.0.1:$KAFKA_PORT" 2>&1); then
    line kafka ok "127.0.0.1:$KAFKA_PORT pid $pid: $out"
  else
    line kafka FAIL "${out//$'\n'/ }"
  fi
}

openbao_status() {
  local pid health token key plain ct back
  pid=$(pid_of "$BAO_DIR/openbao.pid" "$BAO_DIR/config.hcl") || { line openbao FAIL "not running (bash scripts/infra/up.sh)"; return; }
  health=$(curl -s --max-time 5 "$VAULT_ADDR/v1/sys/health") || { line openbao FAIL "no answer on $VAULT_ADDR"; return; }
  [ "$(jq -r '.initialized and (.sealed | not)' <<< "$health")" = true ] || { line openbao FAIL "sealed or not initialised: $health"; return; }
  [ -s "$BAO_DIR/confide.token" ] || { line openbao FAIL "no $BAO_DIR/confide.token"; return; }
  token=$(cat "$BAO_DIR/confide.token")
  # the token goes in through a header file, not on the command line
  api() { curl -s --max-time 10 -H @<(printf 'X-Vault-Token: %s\n' "$token") "$@"; }
  key=confide-infra-check
  # the confide token itself creates the key: proves the policy, not the root token
  api -X POST --data '{"type":"aes256-gcm96"}' "$VAULT_ADDR/v1/transit/keys/$key" > /dev/null
  plain=$(printf 'confide infra check %s' "$(date +%s%N)" | base64 -w0)
  ct=$(api -X POST --data "{\"plaintext\":\"$plain\"}" "$VAULT_ADDR/v1/transit/encrypt/$key" | jq -r '.data.ciphertext // empty')
  [ -n "$ct" ] || { line openbao FAIL "transit encrypt with the confide token failed (is transit/ mounted? policy?)"; return; }
  back=$(api -X POST --data "{\"ciphertext\":\"$ct\"}" "$VAULT_ADDR/v1/transit/decrypt/$key" | jq -r '.data.plaintext // empty')
  [ "$back" = "$plain" ] || { line openbao FAIL "transit decrypt did not round-trip"; return; }
  # and the policy is narrow: a key outside confide-* is refused
  local denied
  denied=$(api -o /dev/null -w '%{http_code}' -X POST --data '{}' "$VAULT_ADDR/v1/transit/keys/not-confide")
  [ "$denied" = 403 ] || { line openbao FAIL "confide token could create a non-confide key (HTTP $denied)"; return; }
  line openbao ok "$VAULT_ADDR pid $pid: v$(jq -r .version <<< "$health"), unsealed, transit encrypt/decrypt ok, policy confide enforced"
}

postgres_status() {
  local out pw
  [ -s "$PG_DIR/secrets/app.password" ] || { line postgres FAIL "no credentials under $PG_DIR/secrets (bash scripts/infra/up.sh)"; return; }
  pw=$(cat "$PG_DIR/secrets/app.password")
  if out=$(PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 psql -X -A -t -h 127.0.0.1 -p "$POSTGRES_PORT" -U confide_app -d confide -v ON_ERROR_STOP=1 \
      -c "SELECT current_user || ' on ' || current_database() || ', superuser=' || rolsuper || ', bypassrls=' || rolbypassrls || ', ' || split_part(version(), ' ', 2) FROM pg_roles WHERE rolname = current_user" 2>&1); then
    case $out in
      *superuser=false*bypassrls=false*) line postgres ok "127.0.0.1:$POSTGRES_PORT: $out" ;;
      *) line postgres FAIL "app role is privileged: $out" ;;
    esac
  else
    line postgres FAIL "${out//$'\n'/ }"
  fi
}

for c in "${components[@]}"; do
  case $c in kafka|openbao|postgres) "${c}_status" ;; *) line "$c" FAIL "unknown component" ;; esac
done
exit $failed
