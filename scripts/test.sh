#!/usr/bin/env bash
# Runs every test of trustdesk: the Rust workspace (unit, property,
# integration tests through the real server) and, when present, the
# browser tests. PostgreSQL tests run when TRUSTDESK_TEST_POSTGRES_URL is
# set (CI sets it); otherwise they report that they were skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real peers the tests start themselves (Dovecot, an SMTP server).
scripts/test-deps.sh

cargo test --workspace --locked

if [ -x e2e/run.sh ]; then
  e2e/run.sh
fi
