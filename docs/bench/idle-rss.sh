#!/usr/bin/env bash
# Resident memory of an idle server (BENCHMARKS.md, "what limits", 6):
#   docs/bench/idle-rss.sh demo      # serve --demo, VmRSS 6 s after start
#   docs/bench/idle-rss.sh starter   # starter KB imported, plain serve: just
#                                    # started, then after a widget session,
#                                    # two searches and one conversation
set -euo pipefail
BIN=${CARGO_TARGET_DIR:-target}/release/trustdesk
PORT=${PORT:-8091}
URL=http://127.0.0.1:$PORT
D=$(mktemp -d)
trap 'kill ${P:-} 2>/dev/null || true; rm -rf "$D" "$D.log"' EXIT
rss() { echo "$1: $(grep -E 'VmRSS|RssAnon|RssFile' /proc/$P/status | tr -s ' \t' ' ' | tr '\n' ' ')"; }
case "${1:-demo}" in
  demo)
    "$BIN" serve --demo --data-dir "$D" --listen "127.0.0.1:$PORT" >"$D.log" 2>&1 &
    P=$!; sleep 6; rss demo
    ;;
  starter)
    "$BIN" kb import kb/starter --data-dir "$D" >/dev/null
    "$BIN" serve --data-dir "$D" --listen "127.0.0.1:$PORT" >"$D.log" 2>&1 &
    P=$!; sleep 6; rss started
    T=$(curl -sf -X POST -H 'content-type: application/json' -d '{"locale":"en"}' "$URL/v1/widget/sessions" |
      sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    curl -sf -o /dev/null "$URL/v1/kb/search?q=withdrawal"
    curl -sf -o /dev/null "$URL/v1/kb/search?q=%E6%8F%90%E7%8E%B0"
    curl -sf -o /dev/null -X POST -H 'content-type: application/json' -H "authorization: Bearer $T" \
      -d '{"subject":"withdrawal","body":"my withdrawal is stuck, where is my USDT?"}' "$URL/v1/widget/conversations"
    sleep 2; rss "after first use"
    ;;
  *) echo "usage: $0 demo|starter" >&2; exit 2 ;;
esac
