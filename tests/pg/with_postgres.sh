#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster: initdb in a
# temporary directory, a server on a free port on 127.0.0.1 (as the
# `postgres` user when run as root, since PostgreSQL refuses root), a fresh
# database, then the command with
#   LATCHKEY_TEST_DATABASE_URL  postgresql://latchkey@127.0.0.1:PORT/latchkey_test
#   LATCHKEY_TEST_PG_RESTART    a command that restarts the server (same port)
# and finally the cluster is stopped and removed, whatever the outcome.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then
  echo "with_postgres: no PostgreSQL server installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/latchkey-pg-XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pgctl=("${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w
       -o "-p $port -k $dir -c listen_addresses=127.0.0.1")
cleanup() {
  "${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as[@]}" "$PGBIN/initdb" -D "$dir/data" -U latchkey --auth=trust -E UTF8 >/dev/null
"${pgctl[@]}" start >/dev/null
"${as[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U latchkey latchkey_test
export LATCHKEY_TEST_DATABASE_URL="postgresql://latchkey@127.0.0.1:$port/latchkey_test"
printf '%q ' "${pgctl[@]}" > "$dir/restart.sh"
printf -- '-m fast restart >/dev/null\n' >> "$dir/restart.sh"
export LATCHKEY_TEST_PG_RESTART="bash $dir/restart.sh"
printf '%q ' "${pgctl[@]}" > "$dir/pgctl.sh"
printf -- '"$@" >/dev/null\n' >> "$dir/pgctl.sh"
export LATCHKEY_TEST_PG_CTL="bash $dir/pgctl.sh"  # + stop -m fast | start
"$@"
