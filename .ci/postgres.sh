#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the store's tests (fsync off: the data is thrown away).
#   .ci/postgres.sh install   install Debian's postgresql if its binaries are missing (needs root)
#   .ci/postgres.sh start     start a cluster; prints `export TEST_PG_URL=...` and `export TEST_PG_DIR=...`
#   .ci/postgres.sh stop [DIR]  stop the cluster started in DIR (default: $TEST_PG_DIR, else the last one)
# Use: eval "$(.ci/postgres.sh start)"; pytest ...; .ci/postgres.sh stop
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
LAST=${TMPDIR:-/tmp}/training-pg.last

as_pg() {
  # initdb refuses to run as root, so root runs the cluster as the `postgres` account.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd_install() {
  if [ -x "$PG_BIN/initdb" ]; then echo "postgresql already installed" >&2; return 0; fi
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
}

cmd_start() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL binaries not found in $PG_BIN (run: .ci/postgres.sh install)" >&2
    exit 1
  fi
  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/training-pg.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(free_port)
  as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U app -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U app app
  echo "$dir" >"$LAST"
  echo "export TEST_PG_URL=postgresql+psycopg://app@127.0.0.1:$port/app"
  echo "export TEST_PG_DIR=$dir"
}

cmd_stop() {
  local dir=${1:-${TEST_PG_DIR:-}}
  if [ -z "$dir" ] && [ -f "$LAST" ]; then dir=$(cat "$LAST"); fi
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then echo "no cluster to stop" >&2; return 0; fi
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null || true
  rm -rf "$dir"
  if [ -f "$LAST" ] && [ "$(cat "$LAST")" = "$dir" ]; then rm -f "$LAST"; fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) shift; cmd_stop "${1:-}" ;;
  *) echo "usage: $0 install|start|stop [DIR]" >&2; exit 2 ;;
esac
