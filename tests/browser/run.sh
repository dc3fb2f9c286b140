#!/usr/bin/env bash
# Browser checks of the public pages and of the dashboard: starts a demo node on a free port of
# 127.0.0.1 with an empty data folder, runs run.mjs (public pages) against it, then invites a
# shop owner and a node admin with `etal admin user create` and runs dashboard.mjs (their
# dashboard, with a fake fediverse follower of the shop: fediverse.mjs; then a customer without an
# account reserves at the owner's demo shop, click & collect, and the owner answers; then town
# vouchers: the admin's campaign, the owner taking part, a resident's voucher by the mailed link read
# from the node's log, the shop taking part of it), and stops the node whatever happens. Both scripts always run; the exit code is 1 when either failed.
#
#   tests/browser/run.sh                 # uses target/debug/etal
#   ETAL_BIN=target/release/etal tests/browser/run.sh
#   CHROMIUM=/path/to/chrome tests/browser/run.sh
#
# Needs Node 20+ and npm; installs Debian's chromium when it is missing. Screenshots,
# report.json, dashboard-report.json and the node's log land in target/browser/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

ETAL_BIN="${ETAL_BIN:-target/debug/etal}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM
out="$root/target/browser"

if [[ ! -x "$ETAL_BIN" ]]; then
  echo "no node binary at $ETAL_BIN (build it first, or set ETAL_BIN)" >&2
  exit 1
fi

# Debian's chromium: the browser comes from the package registry, never from a download.
if [[ ! -x "$CHROMIUM" ]]; then
  echo "installing Debian's chromium"
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  CHROMIUM=/usr/bin/chromium
fi

# puppeteer-core and axe-core at the versions of package-lock.json (no browser download).
(cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)

rm -rf "$out"
mkdir -p "$out"
data="$(mktemp -d)"
node_pid=""

cleanup() {
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nobody listens on right now.
port="$(node -e '
  const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
url="http://127.0.0.1:$port"

# The flags the node and `etal admin user create` share: same database, same public URL.
node_flags=(--data-dir "$data" --database-url "sqlite://$data/etal.db" --public-url "$url")

# --allow-private-networks: the fake fediverse follower lives on 127.0.0.1 with a port.
# --publish-delay 2: a new product's Create waits 2 s (not 10) for its photo, then is sent.
echo "starting $ETAL_BIN at $url (data in $data, log in target/browser/node.log)"
"$ETAL_BIN" serve --demo "${node_flags[@]}" --listen "127.0.0.1:$port" \
  --allow-private-networks --publish-delay 2 >"$out/node.log" 2>&1 &
node_pid=$!

# Wait for GET / to answer, at most 60 s; give up at once if the node died.
if ! node -e '
  const url = process.argv[1], pid = Number(process.argv[2]), until = Date.now() + 60000;
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  (async () => {
    while (Date.now() < until) {
      if (!alive()) { console.error("the node exited"); process.exit(1); }
      try {
        const res = await fetch(url + "/", { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status < 500) process.exit(0);
      } catch {}
      await new Promise((r) => setTimeout(r, 250));
    }
    console.error("no answer from " + url + "/ within 60 s");
    process.exit(1);
  })();
' "$url" "$node_pid"; then
  echo "--- node.log (last 40 lines)" >&2
  tail -n 40 "$out/node.log" >&2 || true
  exit 1
fi

failed=()

# The public pages.
(cd "$here" && node run.mjs "$url") || failed+=("run.mjs (public pages)")

# The dashboard: the owner of a demo shop and a node admin, invited as an admin would.
dash_shop="primeur-les-saisons"
invite() {
  "$ETAL_BIN" admin user create "${node_flags[@]}" "$@" 2>>"$out/invitations.log"
}
echo
echo "inviting the owner of $dash_shop and a node admin"
if owner_link="$(invite --email "proprietaire@saisons.example" --merchant "$dash_shop")" &&
  admin_link="$(invite --email "admin@commune.example")" &&
  [[ "$owner_link" == "$url/account/welcome/"* && "$admin_link" == "$url/account/welcome/"* ]]; then
  # No SMTP server: the node writes its mails to its log, where dashboard.mjs reads the links.
  (cd "$here" && ETAL_NODE_LOG="$out/node.log" node dashboard.mjs "$url" "$owner_link" "$admin_link" "$dash_shop") ||
    failed+=("dashboard.mjs (dashboard)")
else
  echo "FAIL etal admin user create did not print invitation links (see target/browser/invitations.log)" >&2
  cat "$out/invitations.log" >&2 || true
  failed+=("etal admin user create")
fi

echo
if ((${#failed[@]})); then
  echo "browser checks failed: ${failed[*]}" >&2
  exit 1
fi
echo "browser checks passed"
