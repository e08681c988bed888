#!/usr/bin/env bash
# A private PostgreSQL cluster for the central server's tests and `make run-central`: its own
# folder, loopback only, its own port, trust authentication for the local `placecode` role.
#   scripts/pg.sh start   initialise (first time) and start; prints the DATABASE_URL
#   scripts/pg.sh stop    (the replica too, if one runs)
#   scripts/pg.sh url     prints the DATABASE_URL
#   scripts/pg.sh replica a streaming replica of it (made from a base backup the first time) on
#                         PLACECODE_PG_REPLICA_PORT (default: the port after); prints its URL
set -euo pipefail

PORT=${PLACECODE_PG_PORT:-55432}
DIR=${PLACECODE_PG_DIR:-/var/tmp/placecode-pg-$(id -u)}
URL="postgres://placecode@127.0.0.1:$PORT/placecode"
REPLICA_PORT=${PLACECODE_PG_REPLICA_PORT:-$((PORT + 1))}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$BIN" ]; then
	echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
	exit 1
fi

# initdb refuses to run as root: the cluster then belongs to the postgres system user.
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
	if [ ! -f "$DIR/data/PG_VERSION" ]; then
		mkdir -p "$DIR"
		[ "$(id -u)" = 0 ] && chown postgres "$DIR"
		as_owner "$BIN/initdb" -D "$DIR/data" -U placecode --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
		cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
shared_buffers = 256MB
fsync = on
CONF
	fi
	# Already answering on the port (this cluster, or one started from another folder): use it.
	if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
		:
	elif ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
		as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start >/dev/null
	fi
	as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U placecode -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'placecode'" | grep -q 1 ||
		as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U placecode placecode
	echo "$URL"
	;;
stop)
	as_owner "$BIN/pg_ctl" -D "$DIR/replica" -m fast stop >/dev/null 2>&1 || true
	as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
	;;
replica)
	# A hot standby streaming from the cluster above (which must be running): read-only, for
	# tracing's reads (PLACECODE_TRACE_DATABASE_URL).
	if [ ! -f "$DIR/replica/PG_VERSION" ]; then
		as_owner "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U placecode -D "$DIR/replica" -R -X stream -c fast
		cat >>"$DIR/replica/postgresql.conf" <<CONF
port = $REPLICA_PORT
unix_socket_directories = '$DIR/replica'
hot_standby = on
CONF
	fi
	if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
		as_owner "$BIN/pg_ctl" -D "$DIR/replica" -l "$DIR/replica.log" -w -t 60 start >/dev/null
	fi
	echo "postgres://placecode@127.0.0.1:$REPLICA_PORT/placecode"
	;;
url)
	echo "$URL"
	;;
*)
	echo "usage: $0 start|stop|url|replica" >&2
	exit 2
	;;
esac
