#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/session_cache.sh: what the session cache saves on PostgreSQL (issue 16 item 2):
# an authenticated GET on `qifu serve` over PostgreSQL with the session cache (this
# build: cached while the change channel listens, docs/internals/auth.md) against the
# same GET on a build that looks every session up (QIFU_PEER_BIN: a build without the
# cache on PostgreSQL, e.g. commit f709855, which never cached there).
#
#   QIFU_PEER_BIN=/path/to/old/qifu bench/session_cache.sh
#
# Environment: QIFU_BIN (default build/release/qifu), QIFU_PEER_BIN (required),
# BENCH_BIN_DIR (loadgen; default build/release/bench), BENCH_CONNS (16), BENCH_SECS (5),
# BENCH_WINDOWS (3: the median is reported), BENCH_THREADS (server --threads, 4).
# A private PostgreSQL cluster (scripts/pg-test.sh; fsync off) holds one database made by
# `qifu migrate` and `qifu demo`; each binary serves it in turn on 127.0.0.1 and
# bench/loadgen drives GET /api/v1/me and GET /api/v1/demands?limit=20 as the demo handler
# (Bearer token), every answer checked 200. Figures: requests/s (median of the windows) and
# qifu's CPU per request (utime+stime of the server over the windows / requests).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QIFU=${QIFU_BIN:-$ROOT/build/release/qifu}
PEER=${QIFU_PEER_BIN:-}
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}
CONNS=${BENCH_CONNS:-16}
SECS=${BENCH_SECS:-5}
WINDOWS=${BENCH_WINDOWS:-3}
THREADS=${BENCH_THREADS:-4}

die() {
    echo "bench/session_cache: FAIL: $*" >&2
    exit 1
}
[ -x "$QIFU" ] || die "no qifu binary at $QIFU"
[ -n "$PEER" ] && [ -x "$PEER" ] || die "set QIFU_PEER_BIN to a build without the PostgreSQL session cache"
[ -x "$BIN/loadgen" ] || make -s "${BIN#"$ROOT"/}/loadgen" >&2 || die "could not build loadgen"

TMP=$(mktemp -d /tmp/qifu-bench-sc.XXXXXX)
PGDIR=$(mktemp -d /tmp/qifu-bench-sc-pg.XXXXXX) # handed to the postgres user
SRV_PID=""
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    "$ROOT/scripts/pg-test.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
"$ROOT/scripts/pg-test.sh" start "$PGDIR" >/dev/null
DB=$("$ROOT/scripts/pg-test.sh" newdb "$PGDIR" qifu_bench_sc)
export QIFU_FAST_HASH=1
"$QIFU" migrate --db "$DB" >/dev/null 2>&1
"$QIFU" demo --db "$DB" >/dev/null 2>&1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
field() { sed -nE "s/.* $1=([^ ]*).*/\1/p" <<<"$2"; }

run() { # binary label
    rm -f "$TMP/port"
    "$1" serve --listen 127.0.0.1:0 --port-file "$TMP/port" --db "$DB" --threads "$THREADS" \
        >"$TMP/$2.log" 2>&1 &
    SRV_PID=$!
    for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
    local port
    port=$(cat "$TMP/port") || die "$2: no port"
    sleep 0.5 # the listener connects
    local tok
    tok=$(curl -sf -X POST -H 'Content-Type: application/json' \
        -d '{"username":"handler","password":"demo"}' "http://127.0.0.1:$port/api/v1/session" |
        sed -nE 's/.*"token":"([^"]*)".*/\1/p')
    [ -n "$tok" ] || die "$2: login failed"
    local path
    for path in /api/v1/me "/api/v1/demands?limit=20"; do
        "$BIN/loadgen" -p "$port" -c "$CONNS" -d 1 -u "$path" -H "Authorization: Bearer $tok" >/dev/null
        local t0 t1 rates=() n=0 line
        t0=$(cpu_ticks "$SRV_PID")
        for _ in $(seq "$WINDOWS"); do
            line=$("$BIN/loadgen" -p "$port" -c "$CONNS" -d "$SECS" -u "$path" \
                -H "Authorization: Bearer $tok" -s 200)
            [ "$(field bad "$line")" = 0 ] || die "$2 $path: $line"
            rates+=("$(field rps "$line")")
            n=$((n + $(field ok "$line")))
        done
        t1=$(cpu_ticks "$SRV_PID")
        local med us
        med=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
        us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
        echo "RESULT $2 $path rps=$med cpu_us_per_req=$us"
        R["$2 $path"]=$med
        C["$2 $path"]=$us
    done
    kill "$SRV_PID"
    wait "$SRV_PID" || true
    SRV_PID=""
}

declare -A R C
echo "== bench/session_cache: PostgreSQL, $CONNS connections, --threads $THREADS, median of $WINDOWS × ${SECS} s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "$PEER" uncached
run "$QIFU" cached
summary=""
for path in /api/v1/me "/api/v1/demands?limit=20"; do
    ratio=$(awk -v a="${R["cached $path"]}" -v b="${R["uncached $path"]}" 'BEGIN { printf "%.2f", a / b }')
    summary+="GET $path ${R["cached $path"]}/s (${C["cached $path"]} µs CPU) vs ${R["uncached $path"]}/s (${C["uncached $path"]} µs) uncached, ×$ratio; "
done
echo "BENCH session_cache: ${summary%; }"
