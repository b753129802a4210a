#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/scale.sh: province scale on PostgreSQL (issue 16). Part 1, here: the server's CPU per
# read on PostgreSQL against SQLite on the same data (target: within 2x), and durable demand
# creates on PostgreSQL (fsync=on, synchronous_commit=on; target >= 1,500/s) beside a
# single-row INSERT+COMMIT peer on the same cluster in the same run. Part 2 (1,000,000
# enterprises and 5,000,000 demands) is bench/scale_volume.sh, run from here when it exists;
# the summary line joins both parts.
#
#   bench/scale.sh                  both parts
#   BENCH_SCALE_VOLUME=0 bench/scale.sh   part 1 only
#
# Environment: QIFU_BIN, BENCH_BIN_DIR (as bench/demands.sh), BENCH_DEMANDS (100000
# preloaded), BENCH_ENTERPRISES (40000 generated, those of 安庆 imported), BENCH_CONNS (16
# client connections for reads), BENCH_SECS (4 s per timed run), BENCH_WINDOWS (3 timed read
# runs after 1 s of warm-up), BENCH_CREATE_CONNS (64 client connections for creates, and as
# many peer threads), BENCH_CREATE_SECS (5), BENCH_PG_THREADS (server --threads for the
# creates on PostgreSQL; default 16: a create's thread waits for ~10 round trips),
# BENCH_THREADS (server --threads for the reads on both backends; default the server's 4:
# 16 threads cost ~10 % more CPU per read on PostgreSQL),
# BENCH_PG_SETTINGS (extra postgresql.conf lines for the cluster), BENCH_KEEP=1.
#
# The cluster is this script's own (initdb in a temporary directory, Unix socket only), with
# durable settings: fsync=on, synchronous_commit=on, full_page_writes=on, and the group
# commit settings of docs/internals/store.md ("PostgreSQL settings"). It is not the
# fsync=off cluster of scripts/pg-test.sh.
#
# CPU per request: utime+stime from /proc/PID/stat (clock ticks) of the qifu process (all its
# threads) plus, on PostgreSQL, the postmaster and every process whose parent it is (the
# backends of qifu's pool, the WAL writer, the checkpointer ...), read before and after the
# timed runs of one read figure; divided by the answers counted by loadgen. Processes that
# start and end inside a run (autovacuum workers) are missed; there are none in a read run
# of a few seconds on an analysed database. loadgen's own CPU is not counted.
#
# Checked before any figure is quoted: the clerk's and the handler's lists name the same 20
# demands (ids, states, categories, titles) on both backends, and a sample of details agree
# field by field but for the times (the preload's clock differs); every create answers 201
# with a distinct id and the demands, timeline and audit tables grew by the acknowledged
# count; `qifu audit verify` passes; the peer's rows are all there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${BENCH_DEMANDS:-100000}
ENTS=${BENCH_ENTERPRISES:-40000}
CONNS=${BENCH_CONNS:-16}
SECS=${BENCH_SECS:-4}
WINDOWS=${BENCH_WINDOWS:-3}
CCONNS=${BENCH_CREATE_CONNS:-64}
CSECS=${BENCH_CREATE_SECS:-5}
PG_THREADS=${BENCH_PG_THREADS:-16}
QIFU=${QIFU_BIN:-}
if [ -z "$QIFU" ]; then
    if [ -x "$ROOT/qifu" ]; then QIFU=$ROOT/qifu; else QIFU=$ROOT/build/release/qifu; fi
fi
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}
HZ=$(getconf CLK_TCK)

die() {
    echo "bench/scale: FAIL: $*" >&2
    exit 1
}

for v in N ENTS CONNS SECS WINDOWS CCONNS CSECS PG_THREADS; do
    case "${!v}" in '' | *[!0-9]* | 0) die "$v must be a positive integer, not '${!v}'" ;; esac
done
[ -x "$QIFU" ] || die "no qifu binary at $QIFU (run make qifu, or set QIFU_BIN)"
if [ ! -x "$BIN/loadgen" ] || [ ! -x "$BIN/peer_insert" ]; then
    o=${BIN%/bench}
    make -s O="${o#"$ROOT"/}" "${o#"$ROOT"/}/bench/loadgen" "${o#"$ROOT"/}/bench/peer_insert" >&2 ||
        die "could not build $BIN/loadgen and $BIN/peer_insert"
fi
for t in curl sqlite3 psql python3; do command -v $t >/dev/null || die "$t is missing"; done

PGBIN=""
for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5n); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PGBIN=$d
done
[ -n "$PGBIN" ] || die "no PostgreSQL server (initdb, pg_ctl under /usr/lib/postgresql/*/bin)"

TMP=$(mktemp -d /tmp/qifu-bench-scale.XXXXXX)
PGDIR=$(mktemp -d /tmp/qs-pg.XXXX) # short: the socket path is limited to 107 bytes
SRV_PID=""
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    if [ -f "$PGDIR/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" stop -D "$PGDIR/data" -m fast -w >/dev/null 2>&1 || true
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $TMP and $PGDIR"; else rm -rf "$TMP" "$PGDIR"; fi
}
trap cleanup EXIT

hr() { printf '%s\n' "----------------------------------------------------------------------"; }
field() { sed -nE "s/.* $1=([^ ]*).*/\1/p" <<<"$2"; } # field NAME "LOADGEN ..." line
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

FIGURES=()
declare -A VAL
figure() { # name value unit peer_name peer_value
    local r
    VAL["$1"]=$2
    r=$(ratio "$2" "$5")
    FIGURES+=("$(printf '%-40s %8s %-9s peer %-28s %8s  ratio %s' "$1" "$2" "$3" "$4" "$5" "$r")")
    echo "FIGURE $1 $2 $3 peer $4 $5 ratio $r"
}

# ---- the durable cluster ---------------------------------------------------------------
PGPORT=55432
PGURL_ADMIN="postgres://postgres@/postgres?host=$PGDIR&port=$PGPORT"
PGURL="postgres://postgres@/qifu_scale?host=$PGDIR&port=$PGPORT"
start_cluster() {
    chmod 0755 "$PGDIR"
    [ "$(id -u)" != 0 ] || chown postgres: "$PGDIR"
    as_owner "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$TMP/initdb.log" 2>&1 || die "initdb: $(tail -5 "$TMP/initdb.log")"
    # Durable, and the settings docs/internals/store.md recommends for qifu.
    as_owner tee -a "$PGDIR/data/postgresql.conf" >/dev/null <<EOF

# bench/scale.sh: durable, Unix socket only.
listen_addresses = ''
unix_socket_directories = '$PGDIR'
port = $PGPORT
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
shared_buffers = 256MB
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 15min
commit_delay = ${BENCH_PG_COMMIT_DELAY:-0}
commit_siblings = ${BENCH_PG_COMMIT_SIBLINGS:-5}
logging_collector = off
log_min_messages = warning
${BENCH_PG_SETTINGS:-}
EOF
    as_owner "$PGBIN/pg_ctl" start -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 >/dev/null ||
        die "the cluster did not start: $(tail -5 "$PGDIR/server.log")"
    psql -X -q -d "$PGURL_ADMIN" -c "CREATE DATABASE qifu_scale" || die "CREATE DATABASE failed"
    [ "$(psql -X -qAt -d "$PGURL" -c "SHOW fsync")" = on ] || die "fsync is not on"
    [ "$(psql -X -qAt -d "$PGURL" -c "SHOW synchronous_commit")" = on ] || die "synchronous_commit is not on"
}

# The PIDs whose CPU counts as the server's: qifu, and on PostgreSQL the postmaster and its
# children.
server_pids() {
    echo "$SRV_PID"
    if [ "$1" = postgres ]; then
        local pm
        pm=$(head -1 "$PGDIR/data/postmaster.pid")
        echo "$pm"
        awk -v pm="$pm" '{ sub(/^.*\) /, ""); if ($2 == pm) print FILENAME }' /proc/[0-9]*/stat 2>/dev/null |
            sed -E 's|/proc/([0-9]+)/stat|\1|'
    fi
}
cpu_ticks() { # pids...: utime + stime, in clock ticks
    local p t=0 v
    for p in "$@"; do
        v=$(sed -E 's/^.*\) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
        t=$((t + ${v:-0}))
    done
    echo "$t"
}

# ---- the preload (as bench/demands.sh's preload_sql: the same N demands) ----------------
preload() { # kind url
    # bench/lib.sh's preload_sql, as bench/demands.sh loads it.
    preload_sql "$1" "$N" >"$TMP/preload-$1.sql"
    if [ "$1" = sqlite ]; then
        sqlite3 -bail "${2#sqlite:}" <"$TMP/preload-$1.sql" >/dev/null || die "preload (SQLite) failed"
    else
        psql -X -q -v ON_ERROR_STOP=1 -d "$2" -f "$TMP/preload-$1.sql" >/dev/null || die "preload (PostgreSQL) failed"
    fi
}

q() { # kind url sql: one value
    if [ "$1" = sqlite ]; then sqlite3 "${2#sqlite:}" "$3"; else psql -X -qAt -d "$2" -c "$3"; fi
}

login() { # port user
    curl -sS -f -H 'Content-Type: application/json' \
        -d "{\"username\":\"$2\",\"password\":\"demo\"}" "http://127.0.0.1:$1/api/v1/session" |
        sed -nE 's/.*"token":"([^"]+)".*/\1/p'
}

# shellcheck source=bench/lib.sh
. bench/lib.sh

load() { # name conns loadgen-args...: checks every answer; sets RPS and OK
    local name=$1 conns=$2 out
    shift 2
    out=$("$BIN/loadgen" -p "$PORT" -c "$conns" "$@") || die "$name: unexpected answers: $out"
    echo "   $name: $out"
    OK=$(field ok "$out")
    [ "$OK" -gt 0 ] || die "$name: no successful request: $out"
    RPS=$(field rps "$out")
}

# read_figure kind name loadgen-args...: 1 s of warm-up, then WINDOWS runs of SECS s; sets
# RPS (median) and CPU_US (server CPU per answer over all timed runs, microseconds).
read_figure() {
    local kind=$1 name=$2 all=() pids t0 t1 n=0
    shift 2
    load "$name (warm-up, not counted)" "$CONNS" -d 1 "$@"
    mapfile -t pids < <(server_pids "$kind")
    t0=$(cpu_ticks "${pids[@]}")
    for _ in $(seq 1 "$WINDOWS"); do
        load "$name" "$CONNS" -d "$SECS" "$@"
        all+=("$RPS")
        n=$((n + OK))
    done
    t1=$(cpu_ticks "${pids[@]}")
    RPS=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    CPU_US=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')
    echo "   $name: median $RPS req/s of ${all[*]}; server CPU $CPU_US us per answer over $n answers (${#pids[@]} processes)"
}

# The answers to compare across backends: ids and fields that do not depend on the clock.
normalize() { # reads a list page or one demand on stdin
    python3 -c '
import json, sys
d = json.load(sys.stdin)
items = d["items"] if "items" in d else [d]
keep = ("id", "no", "state", "category", "urgency", "channel", "title", "credit_code", "region",
        "enterprise_name", "content", "lead", "co_handlers")
for it in items:
    print(json.dumps({k: it.get(k) for k in keep}, ensure_ascii=False, sort_keys=True))
'
}

# ---- one backend: reads --------------------------------------------------------------
declare -A CPU RPSV
reads_backend() { # kind url label threads
    local kind=$1 url=$2 label=$3
    echo "== $label: migrate, demo data, $N demands"
    "$QIFU" migrate --db "$url" >"$TMP/migrate.out" 2>&1 || die "migrate: $(cat "$TMP/migrate.out")"
    "$QIFU" demo --db "$url" >"$TMP/demo.out" 2>&1 || die "demo: $(cat "$TMP/demo.out")"
    [ -s "$TMP/ents.csv" ] || {
        "$QIFU" demo --enterprises "$ENTS" --seed 42 --out "$TMP/ents-all.csv" >"$TMP/gen.out" 2>&1 ||
            die "qifu demo --enterprises: $(cat "$TMP/gen.out")"
        awk -F, 'NR == 1 || substr($3, 1, 4) == "3408"' "$TMP/ents-all.csv" >"$TMP/ents.csv"
    }
    "$QIFU" import enterprises "$TMP/ents.csv" --db "$url" >"$TMP/import.out" 2>&1 ||
        die "import enterprises: $(tail -3 "$TMP/import.out")"
    preload "$kind" "$url"
    [ "$(q "$kind" "$url" "SELECT COUNT(*) FROM demands")" = "$N" ] || die "preload: not $N demands"

    start_server "$url" "$TMP/server-$kind.log" "$4"
    echo "== $label: qifu serve on 127.0.0.1:$PORT (--threads ${4:-default}), $CONNS connections"
    CLERK=$(login "$PORT" clerk)
    HANDLER=$(login "$PORT" handler)
    [ -n "$CLERK" ] && [ -n "$HANDLER" ] || die "login failed"
    local ac="Authorization: Bearer $CLERK" ah="Authorization: Bearer $HANDLER" id
    curl -sS -f -H "$ac" "http://127.0.0.1:$PORT/api/v1/demands?limit=20&state=signed" |
        normalize >"$TMP/clerk-$kind.txt" || die "clerk list"
    curl -sS -f -H "$ah" "http://127.0.0.1:$PORT/api/v1/demands?limit=20&category=policy" |
        normalize >"$TMP/handler-$kind.txt" || die "handler list"
    [ "$(wc -l <"$TMP/clerk-$kind.txt")" = 20 ] || die "clerk list: not 20 demands"
    [ "$(wc -l <"$TMP/handler-$kind.txt")" = 20 ] || die "handler list: not 20 demands"
    : >"$TMP/detail-$kind.txt"
    for id in 1 2 3 $((N / 3)) $((N / 2)) "$N"; do
        curl -sS -f -H "$ah" "http://127.0.0.1:$PORT/api/v1/demands/$id" | normalize >>"$TMP/detail-$kind.txt" ||
            die "detail $id"
    done

    read_figure "$kind" "list (clerk, state=signed)" -H "$ac" -u '/api/v1/demands?limit=20&state=signed'
    CPU["$kind list clerk"]=$CPU_US RPSV["$kind list clerk"]=$RPS
    read_figure "$kind" "list (handler, category=policy)" -H "$ah" -u '/api/v1/demands?limit=20&category=policy'
    CPU["$kind list handler"]=$CPU_US RPSV["$kind list handler"]=$RPS
    read_figure "$kind" "detail (clerk)" -H "$ac" -r "1:$N" -u '/api/v1/demands/{id}'
    CPU["$kind detail clerk"]=$CPU_US RPSV["$kind detail clerk"]=$RPS
    read_figure "$kind" "detail (handler)" -H "$ah" -r "1:$N" -u '/api/v1/demands/{id}'
    CPU["$kind detail handler"]=$CPU_US RPSV["$kind detail handler"]=$RPS
    stop_server
}

# ---- PostgreSQL: durable creates beside the peer -----------------------------------------
creates_pg() {
    local url=$PGURL n_ev n_au acked ids got peer
    start_server "$url" "$TMP/server-creates.log" "$PG_THREADS"
    CLERK=$(login "$PORT" clerk)
    [ -n "$CLERK" ] || die "login failed"
    n_ev=$(q postgres "$url" "SELECT COUNT(*) FROM events WHERE entity = 'demand'")
    n_au=$(q postgres "$url" "SELECT COUNT(*) FROM audit")
    echo "== PostgreSQL (durable): creates, $CCONNS connections, --threads $PG_THREADS, ${CSECS} s"
    local body='{"credit_code":"91340100131860916Y","category":"consult","title":"新建生产线审批咨询 {seq}","content":"我公司新建生产线需要办理相关审批手续，请问需要准备哪些材料，办理时限多长？联系人方经理。","contact_name":"方晓东","contact_phone":"13905561234","address":"安庆市宜秀区"}'
    local pids t0 t1
    mapfile -t pids < <(server_pids postgres)
    t0=$(cpu_ticks "${pids[@]}")
    load "POST /api/v1/demands (clerk)" "$CCONNS" -d "$CSECS" -s 201 -m POST \
        -H "Authorization: Bearer $CLERK" -H 'Idempotency-Key: scale-{seq}' -b "$body" \
        -u /api/v1/demands -l "$TMP/creates.log"
    t1=$(cpu_ticks "${pids[@]}")
    CREATES=$RPS
    CREATE_CPU=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$OK" 'BEGIN { printf "%.0f", d * 1e6 / hz / n }')
    echo "   server CPU (qifu + PostgreSQL) $CREATE_CPU us per create"
    stop_server
    acked=$(awk '$2 == 201' "$TMP/creates.log" | wc -l)
    ids=$(grep -oE '^[0-9]+ 201 \{"id":"[0-9]+"' "$TMP/creates.log" | sed -E 's/.*"id":"//; s/"//' | sort -u | wc -l)
    [ "$ids" = "$acked" ] || die "creates: $acked acknowledged but $ids distinct ids"
    got=$(q postgres "$url" "SELECT COUNT(*) FROM demands WHERE idem_key LIKE 'scale-%' AND created_by = 'user:clerk'")
    [ "$got" = "$acked" ] || die "creates: $acked acknowledged, $got in the database"
    got=$(q postgres "$url" "SELECT COUNT(*) FROM events WHERE entity = 'demand'")
    [ "$got" = $((n_ev + acked)) ] || die "creates: timeline grew by $((got - n_ev)), want $acked"
    got=$(q postgres "$url" "SELECT COUNT(*) FROM audit")
    [ "$got" = $((n_au + acked)) ] || die "creates: audit grew by $((got - n_au)), want $acked"
    "$QIFU" audit verify --db "$url" >"$TMP/verify.out" 2>&1 || die "audit verify: $(cat "$TMP/verify.out")"
    echo "   verified: $acked creates acknowledged = rows, timeline and audit events; audit chain intact"

    # The peer: as many rows of the same shape into the same table, one INSERT and one
    # COMMIT per row, as many threads (connections) as the load had.
    peer=$("$BIN/peer_insert" "$url" "$acked" "$CCONNS") || die "peer_insert failed"
    got=$(q postgres "$url" "SELECT COUNT(*) FROM demands WHERE created_by = 'user:peer'")
    [ "$got" = "$acked" ] || die "peer: $got rows, want $acked"
    echo "   peer_insert ($CCONNS threads, INSERT+COMMIT per row): $peer"
    PEER=$(field rps " $peer")
}

# ---- run ---------------------------------------------------------------------------------
echo "== bench/scale part 1: $N demands, $(nproc) cores, qifu $("$QIFU" version | awk '{print $2}'), $("$PGBIN/postgres" --version)"
start_cluster
FSYNC=$("$PGBIN/pg_test_fsync" -s 1 -f "$PGDIR/fsync.test" 2>/dev/null |
    awk '/^Compare file sync methods using one/ { on = 1 } on && $1 == "fdatasync" { print $4; exit }')
rm -f "$PGDIR/fsync.test"
echo "   cluster $PGDIR: fsync=on, synchronous_commit=on, commit_delay=$(q postgres "$PGURL" "SHOW commit_delay"), commit_siblings=$(q postgres "$PGURL" "SHOW commit_siblings"); pg_test_fsync: fdatasync ${FSYNC:-?} us per 8 kB write"

reads_backend sqlite "sqlite:$TMP/qifu.db" "SQLite" "${BENCH_THREADS:-}"
reads_backend postgres "$PGURL" "PostgreSQL" "${BENCH_THREADS:-}"
for f in clerk handler detail; do
    cmp -s "$TMP/$f-sqlite.txt" "$TMP/$f-postgres.txt" ||
        die "$f reads differ between the backends: $(diff "$TMP/$f-sqlite.txt" "$TMP/$f-postgres.txt" | head -5)"
done
echo "   checked: the clerk's and the handler's lists and 6 details answer the same demands on both backends"
creates_pg

hr
worst=0
for k in "list clerk" "list handler" "detail clerk" "detail handler"; do
    figure "PostgreSQL CPU per read, $k" "${CPU[postgres $k]}" us "SQLite" "${CPU[sqlite $k]}"
    r=$(ratio "${CPU[postgres $k]}" "${CPU[sqlite $k]}")
    worst=$(awk -v a="$worst" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
done
for k in "list clerk" "list handler" "detail clerk" "detail handler"; do
    figure "PostgreSQL reads/s, $k" "${RPSV[postgres $k]}" req/s "SQLite" "${RPSV[sqlite $k]}"
done
figure "PostgreSQL durable creates" "$CREATES" creates/s "INSERT+COMMIT per row" "$PEER"
hr
printf '%s\n' "${FIGURES[@]}"
hr
verdict=$(awk -v w="$worst" -v c="$CREATES" 'BEGIN {
    printf "read CPU %s (target <= 2x SQLite), durable creates %s (target 1500)", (w <= 2 ? "MET" : "MISSED"), (c >= 1500 ? "MET" : "MISSED") }')
LINE1="PostgreSQL read CPU per request at most ${worst}x SQLite's, $CREATES durable creates/s (peer $PEER, ratio $(ratio "$CREATES" "$PEER"); fdatasync ${FSYNC:-?} us): $verdict"

# ---- part 2 ------------------------------------------------------------------------------
LINE2=""
if [ "${BENCH_SCALE_VOLUME:-1}" = 1 ] && [ -x bench/scale_volume.sh ]; then
    echo "== part 2: bench/scale_volume.sh"
    bench/scale_volume.sh 2>&1 | tee "$TMP/volume.log"
    [ "${PIPESTATUS[0]}" = 0 ] || die "bench/scale_volume.sh failed"
    LINE2=$(grep -E '^BENCH ' "$TMP/volume.log" | tail -1 | sed -E 's/^BENCH [^:]*: //')
    [ -n "$LINE2" ] || die "bench/scale_volume.sh printed no BENCH line"
    LINE2="; volume: $LINE2"
fi
echo "BENCH scale: $LINE1$LINE2"
