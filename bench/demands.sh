#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/demands.sh: durable demand creates and list/detail reads over HTTP with
# 100,000 demands present (issue 4: >= 2,000 creates/s and >= 20,000 reads/s on SQLite
# on a 2-core machine).
#
#   bench/demands.sh                SQLite, and PostgreSQL when scripts/pg-test.sh can start one
#   BENCH_PG=0 bench/demands.sh     SQLite only
#
# Environment: QIFU_BIN (default ./qifu, else build/release/qifu), BENCH_BIN_DIR (where
# loadgen and peer_insert are; default build/release/bench, built with make when
# missing), BENCH_DEMANDS (100000 preloaded), BENCH_CONNS (16 client connections),
# BENCH_SECS (4: seconds per timed read run and for the create run), BENCH_WINDOWS (3
# timed runs per read figure, after 1 s of warm-up; the figure is their median),
# BENCH_MAX_CREATES (40000),
# BENCH_THREADS (server --threads; default the server's own, 4), BENCH_ENTERPRISES (40000
# generated, of which those in 安庆, about 2,900, are imported), BENCH_KEEP=1.
#
# What is measured, per backend, on one `qifu serve` listening on 127.0.0.1 (ephemeral
# port), by bench/loadgen (one epoll thread, BENCH_CONNS keep-alive connections):
#   creates   POST /api/v1/demands as the clerk, each with its own Idempotency-Key; a 201
#             is sent only after the demand, its timeline event and its audit event have
#             committed with the backend's durability (SQLite: WAL, synchronous=FULL).
#   list      GET /api/v1/demands?limit=20 with a filter, as the clerk (state=signed) and
#             as the handler (category=policy).
#   detail    GET /api/v1/demands/{id}, random ids of the preloaded demands, clerk and handler.
#   Each read figure (and its peer) is the median of BENCH_WINDOWS runs after 1 s of
#   warm-up (load_reads).
# Peers, measured in the same run:
#   reads     GET /healthz on the same server: the HTTP ceiling of this machine.
#   creates   bench/peer_insert: inserts as many rows of the same shape into the same
#             demands table, one INSERT and one COMMIT per row, with the same durability
#             (SQLite: synchronous=FULL), no HTTP, JSON, auth or audit; one thread on
#             SQLite (one writer), BENCH_CONNS threads with a connection each on PostgreSQL.
# The preload is a documented SQL bulk path (preload_sql below: demands in the states of
# the loop, dispatched to the demo handler's bureau, with their handler rows and timeline
# events); it bypasses the API, so it writes no audit events. The results are checked
# before any speed is quoted: every create must answer 201 with a distinct id, the
# demands, timeline and audit tables must have grown by exactly the acknowledged count,
# reads must all answer 200 with 20 items (lists) or the demand asked for, and `qifu
# audit verify` must pass afterwards; otherwise the run fails (exit 1).
# One "FIGURE name value unit peer value ratio" line per figure, then the summary
# ("BENCH demands: ...").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${BENCH_DEMANDS:-100000}
CONNS=${BENCH_CONNS:-16}
SECS=${BENCH_SECS:-4}
WINDOWS=${BENCH_WINDOWS:-3}
MAX_CREATES=${BENCH_MAX_CREATES:-40000}
ENTS=${BENCH_ENTERPRISES:-40000}
QIFU=${QIFU_BIN:-}
if [ -z "$QIFU" ]; then
    if [ -x "$ROOT/qifu" ]; then QIFU=$ROOT/qifu; else QIFU=$ROOT/build/release/qifu; fi
fi
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}

die() {
    echo "bench/demands: FAIL: $*" >&2
    exit 1
}

for v in N CONNS SECS WINDOWS MAX_CREATES ENTS; do
    case "${!v}" in '' | *[!0-9]*) die "$v must be a positive integer, not '${!v}'" ;; esac
done
[ -x "$QIFU" ] || die "no qifu binary at $QIFU (run make qifu, or set QIFU_BIN)"
if [ ! -x "$BIN/loadgen" ] || [ ! -x "$BIN/peer_insert" ]; then
    o=${BIN%/bench}
    make -s O="${o#"$ROOT"/}" "${o#"$ROOT"/}/bench/loadgen" "${o#"$ROOT"/}/bench/peer_insert" >&2 ||
        die "could not build $BIN/loadgen and $BIN/peer_insert"
fi
command -v curl >/dev/null || die "curl is missing"
command -v sqlite3 >/dev/null || die "the sqlite3 CLI is missing (Debian package sqlite3)"

TMP=$(mktemp -d /tmp/qifu-bench-demands.XXXXXX)
PGDIR=""
SRV_PID=""
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    if [ -n "$PGDIR" ]; then "$ROOT/scripts/pg-test.sh" stop "$PGDIR" >/dev/null 2>&1 || true; fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $TMP"; else rm -rf "$TMP"; fi
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
    FIGURES+=("$(printf '%-34s %8s %-10s peer %-26s %8s  ratio %s' "$1" "$2" "$3" "$4" "$5" "$r")")
    echo "FIGURE $1 $2 $3 peer $4 $5 ratio $r"
}


# ---- helpers ---------------------------------------------------------------------------
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

# load NAME LOADGEN-ARGS...: runs loadgen, checks that every response had the expected
# status, and sets RPS to its rate.
load() {
    local name=$1 out
    shift
    out=$("$BIN/loadgen" -p "$PORT" -c "$CONNS" "$@") || die "$name: unexpected answers: $out"
    echo "   $name: $out"
    [ "$(field ok "$out")" -gt 0 ] || die "$name: no successful request: $out"
    RPS=$(field rps "$out")
}

# load_reads NAME LOADGEN-ARGS...: a read figure. One second of the same requests first,
# not counted (it fills each server connection's page cache: the figure is the steady
# state, not the cold start), then WINDOWS timed runs of SECS s each; RPS is their median
# (this virtual machine's speed moves by a quarter from one run to the next, and one
# slow or fast window should not make the figure). Every response of every run is checked.
load_reads() {
    local name=$1 all=()
    shift
    load "$name (warm-up, not counted)" -d 1 "$@"
    for _ in $(seq 1 "$WINDOWS"); do
        load "$name" -d "$SECS" "$@"
        all+=("$RPS")
    done
    RPS=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "   $name: median of ${all[*]} req/s: $RPS"
}

# ---- one backend -------------------------------------------------------------------------
run_backend() { # kind url label
    local kind=$1 url=$2 label=$3 t0 t1
    echo "== $label: migrate, demo data, preload $N demands"
    "$QIFU" migrate --db "$url" >"$TMP/migrate.out" 2>&1 || die "migrate: $(cat "$TMP/migrate.out")"
    "$QIFU" demo --db "$url" >"$TMP/demo.out" 2>&1 || die "demo: $(cat "$TMP/demo.out")"
    "$QIFU" demo --enterprises "$ENTS" --seed 42 --out "$TMP/ents-all.csv" >"$TMP/gen.out" 2>&1 ||
        die "qifu demo --enterprises: $(cat "$TMP/gen.out")"
    awk -F, 'NR == 1 || substr($3, 1, 4) == "3408"' "$TMP/ents-all.csv" >"$TMP/ents.csv"
    "$QIFU" import enterprises "$TMP/ents.csv" --db "$url" >"$TMP/import.out" 2>&1 ||
        die "import enterprises: $(tail -3 "$TMP/import.out")"
    preload_sql "$kind" "$N" >"$TMP/preload.sql"
    t0=$(date +%s%N)
    if [ "$kind" = sqlite ]; then
        sqlite3 -bail "${url#sqlite:}" <"$TMP/preload.sql" >/dev/null || die "preload (SQLite) failed"
    else
        psql -X -q -v ON_ERROR_STOP=1 -d "$url" -f "$TMP/preload.sql" >/dev/null || die "preload (PG) failed"
    fi
    t1=$(date +%s%N)
    local n_dem n_ev n_au
    n_dem=$(q "$kind" "$url" "SELECT COUNT(*) FROM demands")
    [ "$n_dem" = "$N" ] || die "preload: $n_dem demands, want $N"
    n_ent=$(q "$kind" "$url" "SELECT COUNT(DISTINCT credit_code) FROM demands")
    [ "$n_ent" -gt 1000 ] || die "preload: demands of only $n_ent enterprises"
    echo "   preloaded $n_dem demands of $n_ent enterprises in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"

    start_server "$url" "$TMP/server-$kind.log"
    echo "== $label: qifu serve on 127.0.0.1:$PORT, $CONNS connections; reads: 1 s warm-up, then the median of $WINDOWS runs of ${SECS} s; creates: one run of ${SECS} s"
    local clerk handler
    clerk=$(login "$PORT" clerk)
    handler=$(login "$PORT" handler)
    [ -n "$clerk" ] && [ -n "$handler" ] || die "login failed"

    # Correctness of the reads before their speed.
    local one
    one=$(curl -sS -H "Authorization: Bearer $clerk" "http://127.0.0.1:$PORT/api/v1/demands?limit=20&state=signed")
    [ "$(grep -o '"state":"signed"' <<<"$one" | wc -l)" = 20 ] || die "clerk list: not 20 signed demands: ${one:0:300}"
    one=$(curl -sS -H "Authorization: Bearer $handler" "http://127.0.0.1:$PORT/api/v1/demands?limit=20&category=policy")
    [ "$(grep -o '"category":"policy"' <<<"$one" | wc -l)" = 20 ] || die "handler list: not 20 policy demands: ${one:0:300}"
    one=$(curl -sS -H "Authorization: Bearer $handler" "http://127.0.0.1:$PORT/api/v1/demands/$((N / 2))")
    grep -q "\"id\":\"$((N / 2))\"" <<<"$one" || die "handler detail: ${one:0:300}"

    local auth_c="Authorization: Bearer $clerk" auth_h="Authorization: Bearer $handler"
    load_reads "GET /healthz" -u /healthz
    local peer_read=$RPS
    load_reads "list (clerk, state=signed)" -H "$auth_c" -u '/api/v1/demands?limit=20&state=signed'
    figure "$label list reads (clerk)" "$RPS" req/s "GET /healthz" "$peer_read"
    load_reads "list (handler, category=policy)" -H "$auth_h" -u '/api/v1/demands?limit=20&category=policy'
    figure "$label list reads (handler)" "$RPS" req/s "GET /healthz" "$peer_read"
    load_reads "detail (clerk)" -H "$auth_c" -r "1:$N" -u '/api/v1/demands/{id}'
    figure "$label detail reads (clerk)" "$RPS" req/s "GET /healthz" "$peer_read"
    load_reads "detail (handler)" -H "$auth_h" -r "1:$N" -u '/api/v1/demands/{id}'
    figure "$label detail reads (handler)" "$RPS" req/s "GET /healthz" "$peer_read"

    # Durable creates, each acknowledged 201 after its commit; verified afterwards.
    n_ev=$(q "$kind" "$url" "SELECT COUNT(*) FROM events WHERE entity = 'demand'")
    n_au=$(q "$kind" "$url" "SELECT COUNT(*) FROM audit")
    local body='{"credit_code":"91340100131860916Y","category":"consult","title":"新建生产线审批咨询 {seq}","content":"我公司新建生产线需要办理相关审批手续，请问需要准备哪些材料，办理时限多长？联系人方经理。","contact_name":"方晓东","contact_phone":"13905561234","address":"安庆市宜秀区"}'
    load "POST /api/v1/demands (clerk)" -d "$SECS" -n "$MAX_CREATES" -s 201 -m POST \
        -H "$auth_c" -H 'Idempotency-Key: bench-{seq}' -b "$body" -u /api/v1/demands \
        -l "$TMP/creates-$kind.log"
    local created=$RPS acked ids
    acked=$(awk '$2 == 201' "$TMP/creates-$kind.log" | wc -l)
    ids=$(grep -oE '^[0-9]+ 201 \{"id":"[0-9]+"' "$TMP/creates-$kind.log" | sed -E 's/.*"id":"//; s/"//' | sort -u | wc -l)
    [ "$ids" = "$acked" ] || die "creates: $acked acknowledged but $ids distinct ids"
    local got
    got=$(q "$kind" "$url" "SELECT COUNT(*) FROM demands WHERE idem_key LIKE 'bench-%' AND created_by = 'user:clerk'")
    [ "$got" = "$acked" ] || die "creates: $acked acknowledged, $got in the database"
    got=$(q "$kind" "$url" "SELECT COUNT(*) FROM events WHERE entity = 'demand'")
    [ "$got" = $((n_ev + acked)) ] || die "creates: timeline grew by $((got - n_ev)), want $acked"
    got=$(q "$kind" "$url" "SELECT COUNT(*) FROM audit")
    [ "$got" = $((n_au + acked)) ] || die "creates: audit grew by $((got - n_au)), want $acked"
    stop_server
    "$QIFU" audit verify --db "$url" >"$TMP/verify.out" 2>&1 || die "audit verify: $(cat "$TMP/verify.out")"
    echo "   verified: $acked creates acknowledged = rows, timeline and audit events; audit chain intact"

    # The peer inserts as many rows into the same table, server stopped.
    # SQLite has one writer: the peer's best is one thread (more threads only meet SQLite's
    # sleeping busy handler); PostgreSQL takes as many as the server had connections.
    local peer pthreads=1
    [ "$kind" = sqlite ] || pthreads=$CONNS
    peer=$("$BIN/peer_insert" "$url" "$acked" "$pthreads") || die "peer_insert failed"
    got=$(q "$kind" "$url" "SELECT COUNT(*) FROM demands WHERE created_by = 'user:peer'")
    [ "$got" = "$acked" ] || die "peer: $got rows, want $acked"
    echo "   peer_insert ($pthreads thread(s), INSERT+COMMIT per row): $peer"
    figure "$label durable creates" "$created" creates/s "INSERT+COMMIT per row" "$(field rps " $peer")"
}

echo "== bench/demands: $N demands, $(nproc) cores, qifu $("$QIFU" version | awk '{print $2}')"
echo "   $QIFU; tools in $BIN; sqlite3 $(sqlite3 --version | awk '{print $1}')"
run_backend sqlite "sqlite:$TMP/qifu.db" "SQLite"
sqlite_creates=${VAL["SQLite durable creates"]}

pg_note=""
if [ "${BENCH_PG:-1}" = 1 ]; then
    if command -v psql >/dev/null && PGDIR=$(mktemp -d /tmp/qb-pg.XXXX) &&
        "$ROOT/scripts/pg-test.sh" start "$PGDIR" >"$TMP/pg.url" 2>"$TMP/pg.log"; then
        PGURL=$("$ROOT/scripts/pg-test.sh" newdb "$PGDIR" qifu_bench)
        echo "== PostgreSQL: the private test cluster of scripts/pg-test.sh runs with fsync=off and"
        echo "   synchronous_commit=off: its creates are NOT durable, and its figures are not comparable"
        run_backend postgres "$PGURL" "PostgreSQL (fsync=off)"
        pg_note="; PostgreSQL figures from a test cluster with fsync=off"
    else
        echo "== PostgreSQL not available: $(tail -2 "$TMP/pg.log" 2>/dev/null)"
        PGDIR=""
        pg_note="; PostgreSQL not measured"
    fi
fi

hr
printf '%s\n' "${FIGURES[@]}"
hr
# (an if, not `[[ ]] && echo`: under set -e and pipefail a last non-matching key ended the script)
reads=$(for k in "${!VAL[@]}"; do if [[ "$k" =~ ^SQLite\ (list|detail) ]]; then echo "${VAL[$k]}"; fi; done | sort -n | head -1)
verdict=$(awk -v c="$sqlite_creates" -v r="$reads" 'BEGIN {
    printf "creates %s (target 2000), slowest read %s (target 20000)", (c >= 2000 ? "MET" : "MISSED"), (r >= 20000 ? "MET" : "MISSED") }')
echo "BENCH demands: SQLite $sqlite_creates durable creates/s, slowest read figure $reads req/s with $N demands, $CONNS connections: $verdict$pg_note"
