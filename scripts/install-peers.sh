#!/usr/bin/env bash
# Installs the two real fediverse peers used by the interop tests (Fedify on Node.js, bovine on
# Python) into target/peers/, from ../shared/peers (read-only: they are copied first).
# Usage: scripts/install-peers.sh [PEERS_SOURCE]
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-${ETAL_PEERS_SOURCE:-../shared/peers}}"
dest="target/peers"
if [ ! -d "$src/fedify" ] || [ ! -d "$src/bovine" ]; then
  echo "no peers in $src (expected fedify/ and bovine/)" >&2
  exit 1
fi
mkdir -p "$dest"
rm -rf "$dest/fedify" "$dest/bovine"
cp -r "$src/fedify" "$dest/fedify"
cp -r "$src/bovine" "$dest/bovine"
chmod -R u+w "$dest"
(cd "$dest/fedify" && npm ci --no-audit --no-fund --loglevel=error)
python3 -m venv "$dest/bovine/venv"
"$dest/bovine/venv/bin/pip" install -q -r "$dest/bovine/requirements.txt"
echo "peers installed in $dest"
