#!/usr/bin/env bash
# Runs the trustdesk-bench scenarios as recorded in BENCHMARKS.md.
# Server (and relay) pinned to core 0, bench to core 1. Every server is
# fresh (new data dir) so RSS and CPU figures start from the same state.
#   docs/bench/run.sh idle 19000 2     # N connections, shards
#   docs/bench/run.sh chat 500,1000,2000,5000,8000
#   docs/bench/run.sh conversations 200,500,1000
#   docs/bench/run.sh kb-search 250,500,1000      # over a generated 10k-article KB
set -euo pipefail
T=${CARGO_TARGET_DIR:-target}/release
W=${BENCH_WORK:-/tmp/tdbench}
mkdir -p "$W"
start_server() {
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$W/data"
  # The bench opens thousands of widget sessions from a few addresses: lift
  # the per-address limit for it (it stays on in production).
  TRUSTDESK_LIMITS__WIDGET_SESSIONS_PER_MINUTE=100000000 \
    taskset -c 0 "$T/trustdesk" serve --demo --data-dir "$W/data" --listen 127.0.0.1:8080 >"$W/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    if curl -sf http://127.0.0.1:8080/healthz >/dev/null; then
      # 2FA is mandatory: the demo prints alice's TOTP secret.
      AGENT_TOTP=$(grep -A1 'alice@demo.trustdesk' "$W/server.log" | sed -n 's/.*2FA secret \([A-Z2-7]*\).*/\1/p' | head -1)
      return
    fi
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}
start_relay() {
  taskset -c 0 "$T/trustdesk-bench" relay --listen 127.0.0.1:9900 2>"$W/relay.log" &
  RELAY=$!
  sleep 0.5
}
cleanup() { kill ${SERVER:-} ${RELAY:-} 2>/dev/null || true; }
trap cleanup EXIT
case "$1" in
  idle)
    start_server
    taskset -c 1 "$T/trustdesk-bench" idle --url http://127.0.0.1:8080 --connections "$2" --shards "${3:-1}" --server-pid "$SERVER" --source-ips 16
    ;;
  chat)
    start_server; start_relay
    taskset -c 1 "$T/trustdesk-bench" chat --url http://127.0.0.1:8080 --customers 1000 --agents 10 \
      --sweep "$2" --duration 10 --warmup 3 --server-pid "$SERVER" \
      --ceiling-url http://127.0.0.1:9900 --ceiling-pid "$RELAY" --agent-totp-secret "$AGENT_TOTP"
    ;;
  conversations)
    start_server
    taskset -c 1 "$T/trustdesk-bench" conversations --url http://127.0.0.1:8080 --sweep "$2" --duration 10 --server-pid "$SERVER" \
      --agent-totp-secret "$AGENT_TOTP"
    ;;
  kb-search)
    rm -rf "$W/data" "$W/kb"
    "$T/trustdesk-bench" kb-gen --out "$W/kb" --count 10000
    "$T/trustdesk" kb import "$W/kb" --data-dir "$W/data"
    KEEP_DATA=1 start_server
    taskset -c 1 "$T/trustdesk-bench" kb-search --url http://127.0.0.1:8080 --sweep "$2" --duration 10 --server-pid "$SERVER"
    ;;
esac
