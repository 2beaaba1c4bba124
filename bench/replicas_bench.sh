#!/usr/bin/env bash
# Replicas on PostgreSQL vs SQLite: starts a throwaway PostgreSQL cluster and
# runs bench/replicas_bench.py in it. Usage: bench/replicas_bench.sh build/latchkeyd
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../tests/pg/with_postgres.sh" /usr/bin/python3 "$here/replicas_bench.py" "$1"
