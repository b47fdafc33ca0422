# Shared by scripts/tools/*.sh and scripts/infra/*.sh (sourced, not executed).
# Sets REPO_ROOT, CONFIDE_CACHE, TOOLS_CACHE, TOOLS_BIN and the pinned versions, and puts
# .tools/bin first on PATH.
CONFIDE_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CONFIDE_LIB_DIR/../.." && pwd)"
export CONFIDE_CACHE="${CONFIDE_CACHE:-$HOME/.cache/confide}"
TOOLS_CACHE="$CONFIDE_CACHE/tools"
TOOLS_BIN="$REPO_ROOT/.tools/bin"
# shellcheck source=../../tools/versions.env
. "$REPO_ROOT/tools/versions.env"
case ":$PATH:" in *":$TOOLS_BIN:"*) ;; *) export PATH="$TOOLS_BIN:$PATH" ;; esac
[ -d /usr/local/go/bin ] && case ":$PATH:" in *":/usr/local/go/bin:"*) ;; *) export PATH="$PATH:/usr/local/go/bin" ;; esac
