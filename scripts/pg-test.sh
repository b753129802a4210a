#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# pg-test.sh: a private, throw-away PostgreSQL cluster for tests.
#
#   scripts/pg-test.sh start DIR        create (if needed) and start a cluster in DIR;
#                                       prints its libpq URL (database qifu_test)
#   scripts/pg-test.sh url DIR          prints the URL again
#   scripts/pg-test.sh newdb DIR NAME   (re)creates an empty database NAME; prints its URL
#   scripts/pg-test.sh halt DIR         stops the cluster and keeps DIR (start runs it again:
#                                       a restart, for tests of a database going away)
#   scripts/pg-test.sh stop DIR         stops the cluster and removes DIR
#   scripts/pg-test.sh standby DIR PRIMARY_DIR
#                                       a streaming standby of the cluster in PRIMARY_DIR
#                                       (pg_basebackup -R), hot standby, its own socket in
#                                       DIR; prints its URL. `start DIR` restarts it after
#                                       `halt DIR`; `stop DIR` removes it
#
# The server listens only on a Unix socket in DIR (never on TCP), trusts local
# connections and runs with fsync=off: it is for tests, never for data. DIR should be
# short, since a socket path is limited to 107 bytes:
#
#   dir=$(mktemp -d /tmp/qifu-pg-XXXX)
#   export TEST_PG_DSN=$(scripts/pg-test.sh start "$dir")
#   ...
#   scripts/pg-test.sh stop "$dir"
#
# PostgreSQL refuses to run as root, so under root the server runs as the system user
# postgres (DIR is handed to it); otherwise as the calling user. Either way the
# superuser role is named postgres and the URL uses it. Only the URL goes to stdout.
set -eu

PORT=55432
MARK=.qifu-pg-test # marks DIR as ours, so stop never removes anything else

die() {
    echo "pg-test: $*" >&2
    exit 1
}

usage() {
    die "usage: pg-test.sh start|stop|halt|url DIR | newdb DIR NAME | standby DIR PRIMARY_DIR"
}

# The newest /usr/lib/postgresql/*/bin holding initdb (PG_BINDIR overrides).
bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    best=
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5n); do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best=$d
    done
    [ -n "$best" ] || die "no initdb/pg_ctl under /usr/lib/postgresql/*/bin (install the postgresql package)"
    echo "$best"
}

# Runs a server-side command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

url_for() {
    echo "postgres://postgres@/$2?host=$1&port=$PORT"
}

running() {
    [ -f "$1/data/postmaster.pid" ] && as_owner "$BIN/pg_ctl" status -D "$1/data" >/dev/null 2>&1
}

psql_admin() {
    dir=$1
    shift
    PGOPTIONS='-c client_min_messages=warning' \
        "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$PORT" -U postgres -d postgres "$@" >&2
}

check_dir() {
    case $1 in
    /*) ;;
    *) die "DIR must be an absolute path: $1" ;;
    esac
    # The socket is DIR/.s.PGSQL.55432 and must fit in sun_path (108 bytes with the NUL).
    [ ${#1} -le 90 ] || die "DIR is too long for a Unix socket path: $1"
}

start() {
    dir=$1
    check_dir "$dir"
    if [ -d "$dir" ] && running "$dir"; then
        url_for "$dir" qifu_test
        return
    fi
    if [ ! -d "$dir/data" ]; then
        if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$MARK" ]; then
            die "$dir exists, is not empty and is not a test cluster"
        fi
        mkdir -p "$dir"
        touch "$dir/$MARK"
        # Clients of any user reach the socket; the data directory itself stays 0700.
        chmod 0755 "$dir"
        if [ "$(id -u)" = 0 ]; then
            id postgres >/dev/null 2>&1 || die "the system user postgres does not exist"
            chown postgres: "$dir"
        fi
        as_owner "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
            {
                cat "$dir/initdb.log" >&2
                die "initdb failed"
            }
        cat >>"$dir/data/postgresql.conf" <<EOF

# qifu test cluster: Unix socket only, no durability.
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PORT
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 32MB
logging_collector = off
log_min_messages = warning
EOF
    fi
    as_owner "$BIN/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 >&2 ||
        {
            tail -20 "$dir/server.log" >&2 || true
            die "the server did not start"
        }
    i=0
    until "$BIN/pg_isready" -q -h "$dir" -p "$PORT"; do
        i=$((i + 1))
        [ $i -lt 100 ] || die "the server does not accept connections"
        sleep 0.1
    done
    if [ -z "$("$BIN/psql" -X -At -h "$dir" -p "$PORT" -U postgres -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = 'qifu_test'")" ]; then
        psql_admin "$dir" -c "CREATE DATABASE qifu_test"
    fi
    url_for "$dir" qifu_test
}

stop() {
    dir=$1
    check_dir "$dir"
    [ -d "$dir" ] || return 0
    [ -f "$dir/$MARK" ] || die "$dir is not a test cluster made by pg-test.sh; not touching it"
    if running "$dir"; then
        as_owner "$BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >&2
    fi
    rm -rf "$dir"
}

# A streaming standby of the cluster in $2, in $1. initdb's pg_hba.conf already trusts
# local replication connections, and wal_level=replica with max_wal_senders=10 are the
# defaults, so the primary needs no change. The standby copies the primary's settings and
# overrides its socket directory; replication goes through the primary's socket.
standby() {
    dir=$1
    primary=$2
    check_dir "$dir"
    check_dir "$primary"
    running "$primary" || die "no cluster is running in $primary"
    if [ -d "$dir/data" ]; then
        start "$dir"
        return
    fi
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$MARK" ]; then
        die "$dir exists, is not empty and is not a test cluster"
    fi
    mkdir -p "$dir"
    touch "$dir/$MARK"
    chmod 0755 "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
    fi
    as_owner "$BIN/pg_basebackup" -h "$primary" -p "$PORT" -U postgres -D "$dir/data" -R \
        -X stream -c fast --no-sync >"$dir/basebackup.log" 2>&1 ||
        {
            cat "$dir/basebackup.log" >&2
            die "pg_basebackup failed"
        }
    cat >>"$dir/data/postgresql.conf" <<EOF

# qifu test standby of $primary: its own socket directory.
unix_socket_directories = '$dir'
hot_standby = on
EOF
    start "$dir"
}

# Stops the server of DIR and keeps its data, so `start DIR` brings it back.
halt() {
    dir=$1
    check_dir "$dir"
    [ -f "$dir/$MARK" ] || die "$dir is not a test cluster made by pg-test.sh; not touching it"
    if running "$dir"; then
        as_owner "$BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >&2
    fi
}

newdb() {
    dir=$1
    name=$2
    check_dir "$dir"
    case $name in
    '' | *[!A-Za-z0-9_]* | [0-9]*) die "database name must be [A-Za-z_][A-Za-z0-9_]*: $name" ;;
    esac
    running "$dir" || die "no cluster is running in $dir (run: pg-test.sh start $dir)"
    psql_admin "$dir" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
    psql_admin "$dir" -c "CREATE DATABASE \"$name\""
    url_for "$dir" "$name"
}

[ $# -ge 2 ] || usage
cmd=$1
dir=${2%/}
BIN=$(bindir)
case $cmd in
start) start "$dir" ;;
stop) stop "$dir" ;;
halt) halt "$dir" ;;
url)
    check_dir "$dir"
    [ -f "$dir/$MARK" ] || die "$dir is not a test cluster"
    url_for "$dir" qifu_test
    ;;
newdb)
    [ $# -eq 3 ] || usage
    newdb "$dir" "$3"
    ;;
standby)
    [ $# -eq 3 ] || usage
    standby "$dir" "${3%/}"
    ;;
*) usage ;;
esac
