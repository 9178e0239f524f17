#!/usr/bin/env bash
# Runs the browser tests of the trustdesk UI on a Debian machine: installs
# Debian's chromium if missing (never a downloaded browser), the pinned
# playwright-core from package-lock.json, builds the binary if missing, then
# runs the unit tests of the UI's shared modules (e2e/unit) and
# e2e/chat.spec.mjs.
#
#   e2e/run.sh
#   TRUSTDESK_BIN=/path/to/trustdesk e2e/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
apt_updated=""

if ! command -v chromium >/dev/null 2>&1; then
  echo "e2e: installing chromium (apt-get)" >&2
  $sudo_cmd apt-get update
  apt_updated=1
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y chromium
fi

# Chinese text in the zh screenshots needs a CJK font.
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  echo "e2e: installing fonts-noto-cjk (apt-get)" >&2
  [ -n "$apt_updated" ] || $sudo_cmd apt-get update || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y fonts-noto-cjk || echo "e2e: no CJK font; zh screenshots will show boxes" >&2
fi

if ! command -v node >/dev/null 2>&1; then
  echo "e2e: node is required (apt-get install -y nodejs npm)" >&2
  exit 1
fi

# The shared protocol client's outbox and feed, without a browser.
echo "e2e: node --test e2e/unit/" >&2
node --test "$here/unit/"

if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "e2e: npm ci" >&2
  (cd "$here" && npm ci --no-audit --no-fund)
fi

# The UI is embedded in the binary, so a stale binary tests a stale UI: without
# an explicit TRUSTDESK_BIN, (re)build (a no-op when up to date).
if [ -z "${TRUSTDESK_BIN:-}" ]; then
  target="${CARGO_TARGET_DIR:-$root/target}"
  export TRUSTDESK_BIN="$target/debug/trustdesk"
  echo "e2e: cargo build -p trustdesk-server --bin trustdesk" >&2
  cargo build -p trustdesk-server --bin trustdesk
elif [ ! -x "$TRUSTDESK_BIN" ]; then
  echo "e2e: no binary at $TRUSTDESK_BIN" >&2
  exit 1
fi

export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
exec node "$here/chat.spec.mjs"
