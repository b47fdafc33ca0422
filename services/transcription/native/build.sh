#!/usr/bin/env bash
# Builds bin/ps-stream (the pocketsphinx streaming recognizer) when its source is newer.
# Needs: a C compiler, pkg-config, libpocketsphinx-dev, libsphinxbase-dev (Debian 12).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/ps-stream.c"
out="$here/bin/ps-stream"

if [[ -x "$out" && "$out" -nt "$src" && "$out" -nt "$here/build.sh" ]]; then
  echo "ps-stream is up to date ($out)"
  exit 0
fi
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists pocketsphinx sphinxbase; then
  echo "ps-stream: pkg-config cannot find pocketsphinx/sphinxbase; install pkg-config libpocketsphinx-dev libsphinxbase-dev" >&2
  exit 1
fi
cc="${CC:-cc}"
mkdir -p "$here/bin"
# shellcheck disable=SC2046
"$cc" -O2 -Wall -Wextra -std=c99 -D_POSIX_C_SOURCE=200809L -o "$out.tmp" "$src" $(pkg-config --cflags --libs pocketsphinx sphinxbase)
mv "$out.tmp" "$out"
echo "built $out"
