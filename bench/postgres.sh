#!/usr/bin/env bash
# Runs the PostgreSQL benchmark (bench/Witness.Bench.Postgres) against a throwaway cluster:
#   bash bench/postgres.sh [--events N] [--query-events N] [--clients N] [--months N]
# Needs the Debian postgresql package (scripts/test installs it). Run as root (the cluster runs as
# the postgres user) or as a user that may run initdb. The cluster is removed at the end.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
[[ -x "$PG_BIN/initdb" ]] || { echo "bench/postgres.sh: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
if [[ $EUID -eq 0 ]]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi

DIR="$(mktemp -d /tmp/witness-bench-pg.XXXXXX)"
mkdir -p "$DIR/sock"
[[ $EUID -eq 0 ]] && chown -R postgres: "$DIR"
cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT

as_pg "$PG_BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
PORT="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/sock'
fsync = on
synchronous_commit = on
max_connections = 300
shared_buffers = 512MB
max_wal_size = 4GB
CONF
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -o "-p $PORT" -w start >/dev/null

dotnet build -c Release bench/Witness.Bench.Postgres >/dev/null
dotnet bench/Witness.Bench.Postgres/bin/Release/net10.0/Witness.Bench.Postgres.dll \
  --postgres "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres" "$@"
