#!/usr/bin/env bash
# HTTP throughput of latchkeyd with wrk (keep-alive, 2 threads, 64 connections):
# an authenticated API route against /healthz measured in the same run.
set -euo pipefail
BIN=${1:-build/latchkeyd}
command -v wrk >/dev/null || { echo "http_bench: installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
LATCHKEY_LOG_LEVEL=warn "$BIN" --listen 127.0.0.1:0 --data-dir "$DIR" --threads 2 > "$DIR/out" 2>/dev/null &
PID=$!
for _ in $(seq 100); do grep -q '^admin key' "$DIR/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$DIR/out")
ADMIN=$(sed -n 's/^admin key (shown once, store it now): //p' "$DIR/out")
KEY=$(curl -s -X POST -H "Authorization: Bearer $ADMIN" -d '{"name":"bench"}' "$URL/admin/accounts" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
rate() { wrk -t2 -c64 -d5s "$@" | awk '/Requests\/sec/ {print $2}'; }
HEALTH=$(rate "$URL/healthz")
AUTHED=$(rate -H "Authorization: Bearer $KEY" "$URL/api-keys")
echo "GET /healthz                 $HEALTH req/s (reference)"
echo "GET /api-keys (API key auth) $AUTHED req/s  ratio $(/usr/bin/python3 -c "print(round($AUTHED/$HEALTH, 2))")"
