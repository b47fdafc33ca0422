#!/usr/bin/env bash
# A private OpenBao (its own state folder and loopback port) for a test that must stop and start
# its KMS without touching the shared one of scripts/infra. It is the same server as up.sh's
# (file storage, initialised with one key share, unsealed, Transit at transit/, the `confide`
# policy and token): this script only points up.sh / down.sh at another CONFIDE_INFRA_STATE and
# CONFIDE_OPENBAO_PORT, so the default infrastructure is never affected.
#   bash scripts/infra/openbao-private.sh up   <state-dir> <port>   start (first run: init + provision),
#                                                                    unseal; prints VAULT_ADDR= and VAULT_TOKEN_FILE=
#   bash scripts/infra/openbao-private.sh down <state-dir> <port>   SIGTERM, wait until gone (data kept)
# Restarting is `down` then `up` (the data and the unseal key stay in <state-dir>/openbao).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { echo "usage: $0 up|down <state-dir> <port>" >&2; exit 2; }
[ $# -eq 3 ] || usage
action=$1 dir=$2 port=$3
case $port in ''|*[!0-9]*) usage ;; esac
[ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || { echo "openbao-private: port must be 1024-65535" >&2; exit 2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
[ "$dir" != "$(cd "$here/../.." && pwd)/.state/infra" ] || { echo "openbao-private: <state-dir> must not be the shared .state/infra" >&2; exit 2; }
export CONFIDE_INFRA_STATE="$dir" CONFIDE_OPENBAO_PORT="$port"
case $action in
  up)
    bash "$here/up.sh" openbao > /dev/null
    echo "VAULT_ADDR=http://127.0.0.1:$port"
    echo "VAULT_TOKEN_FILE=$dir/openbao/confide.token"
    ;;
  down) bash "$here/down.sh" openbao ;;
  *) usage ;;
esac
