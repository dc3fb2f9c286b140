#!/usr/bin/env bash
# The open data as a harvester reads it: starts a demo node on a free port of 127.0.0.1 with an
# empty data folder, installs rdflib and frictionless in a virtual environment under target/,
# runs check.py against the node, and stops the node whatever happens.
#
#   tests/opendata/run.sh                 # uses target/debug/etal
#   ETAL_BIN=target/release/etal tests/opendata/run.sh
#
# Needs Python 3.9+ with venv and pip (PyPI).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

ETAL_BIN="${ETAL_BIN:-target/debug/etal}"
if [[ ! -x "$ETAL_BIN" ]]; then
  echo "no node binary at $ETAL_BIN (build it first, or set ETAL_BIN)" >&2
  exit 1
fi

venv="$root/target/opendata-venv"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

data="$(mktemp -d)"
node_pid=""
cleanup() {
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
url="http://127.0.0.1:$port"
mkdir -p "$root/target"
"$ETAL_BIN" serve --demo --data-dir "$data" --database-url "sqlite://$data/etal.db" \
  --listen "127.0.0.1:$port" --public-url "$url" >"$root/target/opendata-node.log" 2>&1 &
node_pid=$!

for _ in $(seq 1 240); do
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "the node exited:" >&2
    tail -n 40 "$root/target/opendata-node.log" >&2
    exit 1
  fi
  if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url/open-data/" 2>/dev/null; then
    break
  fi
  sleep 0.25
done

"$venv/bin/python" "$here/check.py" "$url"
