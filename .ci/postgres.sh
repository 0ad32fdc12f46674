#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL cluster: `.ci/postgres.sh CMD [ARGS...]`.
# initdb makes a cluster in a temp dir, pg_ctl starts it on 127.0.0.1:$PGPORT (default 5433)
# with trust authentication for the `postgres` superuser, CMD runs with TEST_DATABASE_URL
# pointing at it, and the cluster is stopped and deleted afterwards, whatever CMD returns.
# As root (CI) the server runs as the `postgres` system user, which initdb requires.
set -euo pipefail

PGPORT=${PGPORT:-5433}
BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z "$BINDIR" || ! -x "$BINDIR/initdb" ]]; then
    echo "postgres.sh: no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql" >&2
    exit 1
fi

as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

DIR=$(mktemp -d "${TMPDIR:-/tmp}/pg-test.XXXXXX")
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$DIR"
fi
stop() {
    as_server_user "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT

as_server_user "$BINDIR/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
# Throwaway: no durability needed, which makes CREATE DATABASE ... TEMPLATE much faster.
as_server_user "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start -o \
    "-h 127.0.0.1 -p $PGPORT -k $DIR -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=200" >/dev/null \
    || { cat "$DIR/server.log" >&2; exit 1; }

export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
echo "postgres.sh: PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') at $TEST_DATABASE_URL" >&2
status=0
"$@" || status=$?
exit "$status"
