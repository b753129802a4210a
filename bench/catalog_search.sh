#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/catalog_search.sh: "search p99 over a catalogue of 20,000 generated items with 16
# concurrent clients, beside the bare FTS query on the same data in the same run" (issue 18,
# docs/internals/bench.md "bench/catalog_search.sh").
#
#   bench/catalog_search.sh            (or: bench/run.sh catalog_search)
#
# Environment: QIFU_BIN (default build/release/qifu), BENCH_BIN_DIR (loadgen and catalog_bench;
# default build/release/bench), BENCH_CS_ITEMS (20000), BENCH_CS_CONNS (16), BENCH_CS_SECS (10),
# BENCH_CS_PEER_REPS (50 rounds of the query set), BENCH_CS_PG=1 (on PostgreSQL instead: a
# private cluster of scripts/pg-test.sh, fsync off; the peer is then the ILIKE / gram query
# through psql with \timing), BENCH_KEEP=1 (keep the temp dir).
#
#   data     qifu migrate on a fresh SQLite file, then catalog_bench gen: N items written into
#            the search index by catalog_search_reindex, the function the publish path calls
#            (not through the catalogue loader: the index is all a search reads), 2 bundles and
#            the synonyms 刻章 and 开饭店.
#   checks   before any time is printed, each query of the set once over HTTP: its total equals
#            the bare query's count where only the text decides, is at least that count where
#            synonyms, bundles or initials add items, and the typo, synonym and zero-result
#            queries find what they must (first item by name, or nothing).
#   timing   bench/loadgen, 16 keep-alive connections walking the query set for BENCH_CS_SECS
#            (2 warm-up answers per connection left out): requests/s, p50, p99, and the
#            server's CPU time (utime + stime) per search.
#   peer     the bare full-text query of each query (FTS5 MATCH of the phrase, or the gram
#            table for one or two characters; COUNT of the matching rows, no ranking) through
#            the SQLite C API on the same file, one process, sequential: p50, p99.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${BENCH_CS_ITEMS:-20000}
CONNS=${BENCH_CS_CONNS:-16}
SECS=${BENCH_CS_SECS:-10}
REPS=${BENCH_CS_PEER_REPS:-50}
QIFU=${QIFU_BIN:-$ROOT/build/release/qifu}
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}

die() {
    echo "bench/catalog_search: FAIL: $*" >&2
    exit 1
}
[ -x "$QIFU" ] || die "no qifu binary at $QIFU"
[ -x "$BIN/loadgen" ] && [ -x "$BIN/catalog_bench" ] || die "no $BIN/loadgen or $BIN/catalog_bench (make bench-bin)"
for c in curl jq python3; do command -v $c >/dev/null || die "$c is missing"; done

TMP=$(mktemp -d /tmp/qifu-bench-catsearch.XXXXXX)
SRV_PID=""
PGDIR=""
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    if [ -n "$PGDIR" ]; then "$ROOT/scripts/pg-test.sh" stop "$PGDIR" >/dev/null 2>&1 || true; fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
pct() { # file fraction: the sample at index floor(n * fraction) of the sorted values (as loadgen)
    sort -g "$1" | awk -v f="$2" '{ v[NR - 1] = $1 } END { i = int(NR * f); if (i >= NR) i = NR - 1; printf "%.2f", v[i] }'
}
field() { sed -nE "s/.* $1=([^ ]*).*/\1/p" <<<" $2"; }

# The query set: what people type (kind: eq = only the text decides, ge = synonyms, bundles or
# initials may add items, typo:NAME / first:NAME = the first item's name starts with NAME,
# zero = nothing found, logged).
cat >"$TMP/set" <<'EOF'
办执照	ge
开公司	ge
刻章	first:印章刻制备案
开饭店	first:食品经营许可
营业执照	eq
食品经营许可	eq
施工许可	eq
排污许可	eq
公积金	eq
社会保险	eq
高新技术企业	eq
注销	eq
发票	eq
消防验收	eq
取水许可	eq
道路运输	eq
卫生许可	eq
就业登记	eq
环评	eq
许可	eq
qykb	ge
sgxk	ge
食品经营许科	typo:食品经营许可
施工许可正	typo:建设工程施工许可证核发
社保登记	typo:员工参保登记
火星移民	zero
宠物美容	zero
EOF
cut -f1 "$TMP/set" >"$TMP/queries"

echo "== bench/catalog_search: $N items, $CONNS connections × ${SECS}s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
DB=$TMP/qifu.db
URL=sqlite:$DB
BACKEND=SQLite
if [ "${BENCH_CS_PG:-0}" = 1 ]; then
    command -v psql >/dev/null || die "psql is missing"
    PGDIR=$(mktemp -d /tmp/qcs-pg.XXXX)
    URL=$("$ROOT/scripts/pg-test.sh" start "$PGDIR") || die "no PostgreSQL cluster"
    BACKEND="PostgreSQL (fsync off)"
fi
"$QIFU" migrate --db "$URL" >"$TMP/migrate.out" 2>&1 || die "migrate: $(tail -3 "$TMP/migrate.out")"
t0=$(date +%s.%N)
"$BIN/catalog_bench" gen "$URL" "$N" >"$TMP/gen.out" || die "gen: $(tail -3 "$TMP/gen.out")"
t1=$(date +%s.%N)
grep -q "^GEN items=$N\$" "$TMP/gen.out" || die "gen wrote $(cat "$TMP/gen.out")"
echo "   indexed $N items in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s on $BACKEND"

"$QIFU" serve --listen 127.0.0.1:0 --port-file "$TMP/port" --db "$URL" 2>"$TMP/server.log" &
SRV_PID=$!
PORT=""
for _ in $(seq 1 300); do
    if [ -s "$TMP/port" ] && curl -sf "http://127.0.0.1:$(cat "$TMP/port")/healthz" >/dev/null; then
        PORT=$(cat "$TMP/port")
        break
    fi
    kill -0 "$SRV_PID" 2>/dev/null || die "qifu serve exited: $(tail -5 "$TMP/server.log")"
    sleep 0.05
done
[ -n "$PORT" ] || die "qifu serve did not answer"
python3 -c 'import sys, urllib.parse
for q in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if q: print("/api/v1/service-items/search?q=" + urllib.parse.quote(q))' "$TMP/queries" >"$TMP/paths"

# The bare query of each query REPS times: "PEER q count" (first round) and "LAT ms" lines.
peer() { # reps
    if [ -z "$PGDIR" ]; then
        "$BIN/catalog_bench" peer "$DB" "$TMP/queries" "$1"
        return
    fi
    # PostgreSQL: what the search's text condition runs (pg_trgm ILIKE over the same
    # expression, or the gram table), counted, through psql with \timing.
    python3 - "$TMP/queries" "$1" >"$TMP/peer.sql" <<'PY'
import sys
qs = [q for q in open(sys.argv[1], encoding="utf-8").read().split("\n") if q]
print("\\timing on")
for r in range(int(sys.argv[2])):
    for q in qs:
        lit = q.replace("'", "''")
        if len(q) >= 3:
            print("SELECT 'PEER', '%s', COUNT(*) FROM catalog_search s WHERE (s.short_text || ' ' || "
                  "s.initials || ' ' || s.long_text) ILIKE '%%%s%%';" % (lit, lit))
        else:
            print("SELECT 'PEER', '%s', COUNT(*) FROM catalog_search_terms WHERE term = '%s';"
                  % (lit, lit))
PY
    psql "$URL" -X -A -F ' ' -t -f "$TMP/peer.sql" |
        awk '/^PEER / { print; next } /^Time: / { print "LAT " $2 }'
}

# ---- checks ----------------------------------------------------------------------------
peer 1 | grep '^PEER ' >"$TMP/peer_counts"
i=0
while IFS=$'\t' read -r q kind; do
    i=$((i + 1))
    path=$(sed -n "${i}p" "$TMP/paths")
    ans=$(curl -sf "http://127.0.0.1:$PORT$path") || die "$q: no answer"
    total=$(jq .total <<<"$ans")
    first=$(jq -r '.items[0].name // ""' <<<"$ans")
    peer=$(awk -v q="$q" '$2 == q { print $3 }' "$TMP/peer_counts")
    case "$kind" in
    eq) [ "$total" = "$peer" ] && [ "$total" -gt 0 ] || die "$q: total $total, the bare query counts $peer" ;;
    ge) [ "$total" -ge "$peer" ] && [ "$total" -gt 0 ] || die "$q: total $total < the bare query's $peer" ;;
    first:* | typo:*) [[ "$first" == "${kind#*:}"* ]] || die "$q: first item $first, want ${kind#*:}" ;;
    zero) [ "$total" = 0 ] || die "$q: total $total, want 0" ;;
    esac
    printf '   %-14s total %5s  bare %5s  first %s\n' "$q" "$total" "$peer" "$first"
done <"$TMP/set"

# ---- timing ----------------------------------------------------------------------------
cpu() { awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat"; } # server CPU, clock ticks
c0=$(cpu)
out=$("$BIN/loadgen" -p "$PORT" -c "$CONNS" -d "$SECS" -n 100000000 -w 2 -P "$TMP/paths" -s 200 -t "$TMP/lat")
echo "   $out"
[ "$(field bad "$out")" = 0 ] || die "loadgen: answers other than 200: $out"
rps=$(field rps "$out")
cpu_ms=$(awk -v a="$c0" -v b="$(cpu)" -v hz="$(getconf CLK_TCK)" -v n="$(field n "$out")" \
    'BEGIN { printf "%.1f", (b - a) * 1000 / hz / n }')
p50=$(pct "$TMP/lat" 0.5)
p99=$(pct "$TMP/lat" 0.99)

peer "$REPS" | sed -n 's/^LAT //p' >"$TMP/peer_lat"
pp50=$(pct "$TMP/peer_lat" 0.5)
pp99=$(pct "$TMP/peer_lat" 0.99)
ratio=$(awk -v a="$p99" -v b="$pp99" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
echo "FIGURE search_p99 $p99 ms peer bare_fts_p99 $pp99 ratio $ratio"
echo "BENCH catalog_search: $N items on $BACKEND, ${CONNS} clients: search p99 ${p99} ms (p50 ${p50} ms, $(printf '%.0f' "$rps")/s, ${cpu_ms} ms server CPU per search) vs bare full-text query p99 ${pp99} ms (p50 ${pp50} ms, one process, no ranking), ×${ratio}"
