#!/usr/bin/env bash
# Runs the trustdesk-bench scenarios as recorded in BENCHMARKS.md.
# Server (and relay) pinned to core 0, bench to core 1. Every server is
# fresh (new data dir) so RSS and CPU figures start from the same state.
#   docs/bench/run.sh idle 19000 2     # N connections, shards
#   docs/bench/run.sh chat 500,1000,2000,5000,8000
#   docs/bench/run.sh conversations 200,500,1000
#   docs/bench/run.sh kb-search 250,500,1000      # over a generated 10k-article KB
#   docs/bench/run.sh chat-nodes 2 2000           # N nodes on PostgreSQL + NATS (core 0), customers
#                                                 # on one node, agents on the next, CPU summed
#   docs/bench/run.sh conversations-nodes 2 200   # the same for new conversations
#   docs/bench/run.sh surge 8000                  # knee (msg/s): normal, 2x the knee, normal
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
# N nodes of one desk on a fresh PostgreSQL database and NATS (the
# machine's: 127.0.0.1:5432 and :4222), all on core 0; node 1 loads the
# demo. Sets NODES (pids, comma-separated) and URLS.
start_nodes() {
  local n=$1 db="trustdesk_bench_$$" subject="td-bench-$$"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" postgres
  NODES=""; URLS=""
  for i in $(seq 1 "$n"); do
    rm -rf "$W/node$i"
    local demo=""; [ "$i" = 1 ] && demo="--demo"
    TRUSTDESK_LIMITS__WIDGET_SESSIONS_PER_MINUTE=100000000 TRUSTDESK_BUS_SUBJECT="$subject" \
      taskset -c 0 "$T/trustdesk" serve $demo --data-dir "$W/node$i" --listen "127.0.0.1:$((8079 + i))" \
        --database-url "postgres://postgres@127.0.0.1:5432/$db" --bus-url nats://127.0.0.1:4222 \
        >"$W/node$i.log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$((8079 + i))/healthz" >/dev/null && break; sleep 0.1; done
    NODES="${NODES:+$NODES,}$pid"; URLS="${URLS:+$URLS,}http://127.0.0.1:$((8079 + i))"
  done
  AGENT_TOTP=$(grep -A1 'alice@demo.trustdesk' "$W/node1.log" | sed -n 's/.*2FA secret \([A-Z2-7]*\).*/\1/p' | head -1)
}
NODES=${NODES:-}
cleanup() { kill ${SERVER:-} ${RELAY:-} ${NODES//,/ } 2>/dev/null || true; }
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
  surge)
    start_server
    taskset -c 1 "$T/trustdesk-bench" surge --url http://127.0.0.1:8080 --customers 1000 --agents 10 \
      --knee "$2" --server-pid "$SERVER" --agent-totp-secret "$AGENT_TOTP"
    ;;
  conversations)
    start_server
    taskset -c 1 "$T/trustdesk-bench" conversations --url http://127.0.0.1:8080 --sweep "$2" --duration 10 --server-pid "$SERVER" \
      --agent-totp-secret "$AGENT_TOTP"
    ;;
  chat-nodes)
    start_nodes "$2"
    # One node: customers and agents on it; several: agents on the next node.
    taskset -c 1 "$T/trustdesk-bench" chat --url "$URLS" --customers 1000 --agents 10 \
      --sweep "$3" --duration 10 --warmup 3 --server-pid "$NODES" --agent-totp-secret "$AGENT_TOTP"
    ;;
  conversations-nodes)
    start_nodes "$2"
    # Customers on node 1, the agent's inbox on the last node.
    taskset -c 1 "$T/trustdesk-bench" conversations --url "$URLS" --sweep "$3" --duration 10 \
      --server-pid "$NODES" --agent-totp-secret "$AGENT_TOTP"
    ;;
  kb-search)
    rm -rf "$W/data" "$W/kb"
    "$T/trustdesk-bench" kb-gen --out "$W/kb" --count 10000
    "$T/trustdesk" kb import "$W/kb" --data-dir "$W/data"
    KEEP_DATA=1 start_server
    taskset -c 1 "$T/trustdesk-bench" kb-search --url http://127.0.0.1:8080 --sweep "$2" --duration 10 --server-pid "$SERVER"
    ;;
esac
