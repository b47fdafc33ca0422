#!/usr/bin/env bash
# Development certificate authority and per-service certificates for TLS 1.3 / mTLS
# (docs/adr/0008-tls.md). NOT for production: use cert-manager or your own PKI there.
#
#   bash scripts/certs/dev.sh [--force] [name ...]      (pnpm certs:dev)
#
# Writes into $CERTS_DIR (default <repo>/.state/certs):
#   ca.crt, ca.key                 the development CA (kept unless --force)
#   <name>.crt, <name>.key         one certificate per service (default: ingest transcription
#                                  insights storage lifecycle gateway), EC P-256, signed by the CA,
#                                  EKU serverAuth + clientAuth (the same certificate is the
#                                  service's mTLS client identity), SANs localhost, 127.0.0.1,
#                                  ::1, <name>, <name>.confide.svc and URI spiffe://confide/<name>
#                                  (the service identity), CN <name>.
# Keys are 0600, the directory 0700. Idempotent: an existing CA is kept; a service
# certificate is kept while it verifies against the CA, carries the expected identity and is
# valid for at least 30 more days; otherwise it is reissued. --force makes a new CA and
# reissues everything. Key material is never printed.
set -euo pipefail
umask 077

repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${CERTS_DIR:-$repo_root/.state/certs}"
force=0
names=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *)
      if [[ ! "$arg" =~ ^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$ ]]; then
        echo "invalid service name (lowercase letters, digits, dashes): $arg" >&2; exit 2
      fi
      names+=("$arg") ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then names=(ingest transcription insights storage lifecycle gateway); fi
command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }

CA_DAYS="${CERTS_CA_DAYS:-3650}"
LEAF_DAYS="${CERTS_LEAF_DAYS:-397}"
RENEW_BEFORE_SECONDS=$((30 * 24 * 3600))

mkdir -p "$out"
chmod 700 "$out"
work="$(mktemp -d "$out/.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# --- CA ---------------------------------------------------------------------------------
ca_ok=0
if [ "$force" -eq 0 ] && [ -s "$out/ca.crt" ] && [ -s "$out/ca.key" ] \
  && openssl x509 -in "$out/ca.crt" -noout -checkend "$RENEW_BEFORE_SECONDS" >/dev/null 2>&1; then
  ca_ok=1
fi
if [ "$ca_ok" -eq 1 ]; then
  echo "keeping CA $out/ca.crt"
else
  new_key "$work/ca.key"
  openssl req -new -x509 -sha256 -days "$CA_DAYS" -key "$work/ca.key" -out "$work/ca.crt" \
    -subj "/O=Confide development/CN=Confide development CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  mv -f "$work/ca.key" "$out/ca.key"
  mv -f "$work/ca.crt" "$out/ca.crt"
  chmod 644 "$out/ca.crt"
  force=1 # every certificate must be reissued under the new CA
  echo "created CA $out/ca.crt"
fi

# --- service certificates -----------------------------------------------------------------
leaf_ok() {
  local name="$1" crt="$out/$1.crt" key="$out/$1.key"
  [ -s "$crt" ] && [ -s "$key" ] || return 1
  openssl verify -CAfile "$out/ca.crt" "$crt" >/dev/null 2>&1 || return 1
  openssl x509 -in "$crt" -noout -checkend "$RENEW_BEFORE_SECONDS" >/dev/null 2>&1 || return 1
  openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | grep -q "URI:spiffe://confide/$name\$" || return 1
  # The key belongs to the certificate (compare public keys).
  [ "$(openssl pkey -in "$key" -pubout 2>/dev/null)" = "$(openssl x509 -in "$crt" -noout -pubkey 2>/dev/null)" ] || return 1
}

for name in "${names[@]}"; do
  if [ "$force" -eq 0 ] && leaf_ok "$name"; then
    echo "keeping $out/$name.crt"
    continue
  fi
  new_key "$work/$name.key"
  openssl req -new -sha256 -key "$work/$name.key" -out "$work/$name.csr" \
    -subj "/O=Confide development/CN=$name" 2>/dev/null
  cat >"$work/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:$name,DNS:$name.confide.svc,URI:spiffe://confide/$name
EXT
  openssl x509 -req -sha256 -days "$LEAF_DAYS" -in "$work/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
  mv -f "$work/$name.key" "$out/$name.key"
  mv -f "$work/$name.crt" "$out/$name.crt"
  chmod 644 "$out/$name.crt"
  echo "issued $out/$name.crt (spiffe://confide/$name)"
done
