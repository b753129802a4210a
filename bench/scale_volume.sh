#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/scale_volume.sh: province data volume on PostgreSQL (issue 16 item 6). Called by
# bench/scale.sh (item 5); runs alone as well.
#
#   bench/scale_volume.sh                      1,000,000 enterprises, 5,000,000 demands
#   BENCH_ENTS=20000 BENCH_DEMANDS=100000 bench/scale_volume.sh      a quick check
#   bench/scale_volume.sh gen                  only generate (or find) the database
#
# Environment: BENCH_ENTS, BENCH_DEMANDS (scale), BENCH_SCALE_DIR (where the clusters live,
# one per scale, kept between runs: /var/tmp/qifu-scale), BENCH_CONNS (8), BENCH_SECS (5 s
# per read figure), BENCH_STATS_N (200 statistics requests per figure), QIFU_BIN,
# BENCH_BIN_DIR, BENCH_REGEN=1 (drop and generate again).
#
# The cluster: Debian's PostgreSQL (the newest /usr/lib/postgresql/*/bin), its own data
# directory under BENCH_SCALE_DIR/e<ENTS>-d<DEMANDS>, a Unix socket there (no TCP), durable
# default settings (fsync, synchronous_commit and full_page_writes on) with
# shared_buffers = 512MB and max_wal_size = 4GB. The database is generated once per scale
# (bench/scale_gen.sql: COPY and INSERT ... SELECT, nice -n 10) and reused while its
# marker file says the generation finished; `qifu migrate` runs on every start, so a new
# migration's backfill runs on the existing data.
#
# Measured on one `qifu serve` (127.0.0.1, ephemeral port) by bench/loadgen:
#   list reads    GET /api/v1/demands?limit=20 as a city clerk (安庆 service centre, every
#                 demand of the city, newest first) and as a department handler (安庆 经信局,
#                 category=policy): p50/p99 and requests/s over BENCH_SECS.
#   statistics    GET /api/v1/stats/demands for the last 365 days as a city supervisor
#                 (安庆 督查室) and as the administrator (the province): p50/p99 over
#                 BENCH_STATS_N requests (a tenth for the province) one after the other on
#                 one connection, after 10 not counted. Target: city p99 <= 200 ms.
#   peer          the same figures answered by a plain GROUP BY scan of the demands and
#                 events tables through psql (no counts), timed the same way; the answers
#                 are checked to agree (dispatched, signed/replied on time, replied, rated,
#                 satisfied, received, returned per organisation) before any speed is quoted.
#   免申即享       `qifu match --all` over every enterprise: wall time, peak RSS (GNU time),
#                 grants written (counted in the grants table); BENCH_MATCH=0 skips it.
# Ends with one "BENCH scale_volume: ..." line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ENTS=${BENCH_ENTS:-1000000}
DEMANDS=${BENCH_DEMANDS:-5000000}
CONNS=${BENCH_CONNS:-8}
SECS=${BENCH_SECS:-5}
STATS_N=${BENCH_STATS_N:-200}
BASE=${BENCH_SCALE_DIR:-/var/tmp/qifu-scale}
QIFU=${QIFU_BIN:-}
if [ -z "$QIFU" ]; then
    if [ -x "$ROOT/qifu" ]; then QIFU=$ROOT/qifu; else QIFU=$ROOT/build/release/qifu; fi
fi
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}
MODE=${1:-run}

die() {
    echo "bench/scale_volume: FAIL: $*" >&2
    exit 1
}
for v in ENTS DEMANDS CONNS SECS STATS_N; do
    case "${!v}" in '' | *[!0-9]*) die "$v must be a positive integer, not '${!v}'" ;; esac
done
[ -x "$QIFU" ] || die "no qifu binary at $QIFU (run make qifu, or set QIFU_BIN)"
if [ ! -x "$BIN/loadgen" ]; then
    o=${BIN%/bench}
    make -s O="${o#"$ROOT"/}" "${o#"$ROOT"/}/bench/loadgen" >&2 || die "could not build $BIN/loadgen"
fi
PGBIN=
for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5n); do
    [ -x "$d/initdb" ] && PGBIN=$d
done
[ -n "$PGBIN" ] || die "no PostgreSQL under /usr/lib/postgresql/*/bin"

DIR=$BASE/e$ENTS-d$DEMANDS
URL="postgres://postgres@/qifu_scale?host=$DIR&port=55432"
TMP=$(mktemp -d /tmp/qifu-scale-volume.XXXXXX)
chmod 755 "$TMP"
SRV_PID=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    if [ -f "$DIR/data/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" stop -D "$DIR/data" -m fast >/dev/null 2>&1 || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
psqlq() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
ms() { date +%s%3N; }

# ---- the cluster ----------------------------------------------------------------------------
if [ "${BENCH_REGEN:-0}" = 1 ] && [ -d "$DIR" ]; then rm -rf "$DIR"; fi
if [ ! -d "$DIR/data" ]; then
    mkdir -p "$DIR"
    chmod 755 "$BASE" "$DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi
    as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$DIR/initdb.log" 2>&1 || die "initdb: $(tail -3 "$DIR/initdb.log")"
    cat >>"$DIR/data/postgresql.conf" <<EOF

# bench/scale_volume.sh: durable defaults (fsync, synchronous_commit, full_page_writes on).
listen_addresses = ''
unix_socket_directories = '$DIR'
port = 55432
shared_buffers = 512MB
max_wal_size = 4GB
logging_collector = off
EOF
fi
if ! as_pg "$PGBIN/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" start -D "$DIR/data" -l "$DIR/server.log" -w -t 120 >/dev/null ||
        die "PostgreSQL did not start: $(tail -5 "$DIR/server.log")"
fi
echo "== bench/scale_volume: $ENTS enterprises, $DEMANDS demands; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') in $DIR (durable defaults); $(nproc) cores"

# ---- the database ---------------------------------------------------------------------------
if [ ! -f "$DIR/generated" ]; then
    psql -X -q -d "postgres://postgres@/postgres?host=$DIR&port=55432" \
        -c "DROP DATABASE IF EXISTS qifu_scale" -c "CREATE DATABASE qifu_scale" >/dev/null
    t0=$(ms)
    "$QIFU" migrate --db "$URL" >"$TMP/migrate.out" 2>&1 || die "migrate: $(tail -3 "$TMP/migrate.out")"
    "$QIFU" demo --db "$URL" >"$TMP/demo.out" 2>&1 || die "demo: $(tail -3 "$TMP/demo.out")"
    nice -n 10 "$QIFU" demo --enterprises "$ENTS" --seed 42 --out "$TMP/ents.csv" >/dev/null 2>&1 ||
        die "qifu demo --enterprises failed"
    # Anhui's prefecture-level cities (level 2 under 340000, current) from the generated
    # GB/T 2260 table: no code is typed here.
    awk -F'"' '/^    \{"34[0-9][0-9]00", ".*", 2, "340000", true/ { print $2 "\t" $4 }' \
        src/codes/regions_table.c >"$TMP/cities.tsv"
    [ "$(wc -l <"$TMP/cities.tsv")" = 16 ] || die "expected Anhui's 16 cities in src/codes/regions_table.c"
    chmod 644 "$TMP/ents.csv" "$TMP/cities.tsv"
    nice -n 10 psql -X -q -d "$URL" -v ents_csv="$TMP/ents.csv" -v cities_tsv="$TMP/cities.tsv" \
        -v demands="$DEMANDS" -f bench/scale_gen.sql >"$TMP/gen.out" 2>&1 || die "generation: $(tail -5 "$TMP/gen.out")"
    # The counts of migration 0019 (its triggers were off for the bulk load): the migration's
    # own backfill statements, PostgreSQL's version.
    awk '/^-- backfill:begin/ { on = 1; next } /^-- backfill:end/ { on = 0 }
         /^-- @sqlite/ { skip = 1; next } /^-- @end/ { skip = 0; next } /^-- @pg/ { next }
         on && !skip' src/store/migrations/0019_demand_counts.sql >"$TMP/counts.sql"
    grep -q 'INSERT INTO demand_counts' "$TMP/counts.sql" || die "no backfill in migration 0019"
    nice -n 10 psql -X -q -v ON_ERROR_STOP=1 -d "$URL" -f "$TMP/counts.sql" >"$TMP/counts.out" 2>&1 ||
        die "counts rebuild: $(tail -5 "$TMP/counts.out")"
    nice -n 10 psql -X -q -d "$URL" -c "VACUUM ANALYZE" >/dev/null
    t1=$(ms)
    echo "$(((t1 - t0) / 1000))" >"$DIR/generated"
    echo "   generated in $(((t1 - t0) / 1000)) s"
fi
"$QIFU" migrate --db "$URL" >"$TMP/migrate.out" 2>&1 || die "migrate: $(tail -3 "$TMP/migrate.out")"
n_ent=$(psqlq -c "SELECT COUNT(*) FROM enterprises")
n_dem=$(psqlq -c "SELECT COUNT(*) FROM demands")
n_ev=$(psqlq -c "SELECT COUNT(*) FROM events")
echo "   database: $n_ent enterprises, $n_dem demands, $n_ev timeline events; $(psqlq -c "SELECT pg_size_pretty(pg_database_size('qifu_scale'))") (generated in $(cat "$DIR/generated") s)"
[ "$n_dem" -ge "$DEMANDS" ] || die "want $DEMANDS demands, have $n_dem"
echo "   demands per city: $(psqlq -c "SELECT string_agg(x.name || ' ' || x.n, ', ' ORDER BY x.n DESC) FROM (SELECT replace(c.name, '人民政府', '') AS name, COUNT(*) AS n FROM demands d JOIN orgs c ON c.code = left(d.region, 4) || '00' GROUP BY c.name) x")"
[ "$MODE" = gen ] && exit 0

# ---- qifu serve ----------------------------------------------------------------------------
start_server() {
    rm -f "$TMP/port"
    "$QIFU" serve --listen 127.0.0.1:0 --port-file "$TMP/port" --db "$URL" --no-access-log \
        2>"$TMP/server.log" &
    SRV_PID=$!
    for _ in $(seq 1 600); do
        if [ -s "$TMP/port" ] && curl -sf "http://127.0.0.1:$(cat "$TMP/port")/healthz" >/dev/null; then
            PORT=$(cat "$TMP/port")
            return 0
        fi
        kill -0 "$SRV_PID" 2>/dev/null || die "qifu serve exited: $(tail -5 "$TMP/server.log")"
        sleep 0.1
    done
    die "qifu serve did not answer /healthz: $(tail -5 "$TMP/server.log")"
}
login() {
    curl -sS -f -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"demo\"}" \
        "http://127.0.0.1:$PORT/api/v1/session" | sed -nE 's/.*"token":"([^"]+)".*/\1/p'
}
field() { sed -nE "s/.* $1=([^ ]*).*/\1/p" <<<"$2"; }
SUMMARY=()
load() { # name loadgen-args...: sets OUT
    local name=$1
    shift
    OUT=$("$BIN/loadgen" -p "$PORT" "$@") || die "$name: unexpected answers: $OUT"
    [ "$(field ok "$OUT")" -gt 0 ] || die "$name: no successful request: $OUT"
    echo "   $name: $OUT"
}
start_server
echo "== qifu serve on 127.0.0.1:$PORT ($CONNS connections for list reads)"
clerk=$(login clerk)
handler=$(login handler)
supervisor=$(login supervisor)
admin=$(login admin)
[ -n "$clerk" ] && [ -n "$handler" ] && [ -n "$supervisor" ] && [ -n "$admin" ] || die "login failed"

# Correctness first: 20 items of the city (clerk) and of the department's category (handler).
one=$(curl -sS -H "Authorization: Bearer $clerk" "http://127.0.0.1:$PORT/api/v1/demands?limit=20")
[ "$(grep -o '"region":"3408[0-9]*"' <<<"$one" | wc -l)" = 20 ] || die "clerk list: not 20 demands of 安庆: ${one:0:300}"
one=$(curl -sS -H "Authorization: Bearer $handler" "http://127.0.0.1:$PORT/api/v1/demands?limit=20&category=policy")
[ "$(grep -o '"category":"policy"' <<<"$one" | wc -l)" = 20 ] || die "handler list: not 20 policy demands: ${one:0:300}"

load "list (city clerk, 安庆, newest 20)" -c "$CONNS" -d 1 -H "Authorization: Bearer $clerk" -u '/api/v1/demands?limit=20'
load "list (city clerk, 安庆, newest 20)" -c "$CONNS" -d "$SECS" -H "Authorization: Bearer $clerk" -u '/api/v1/demands?limit=20'
SUMMARY+=("$(printf '%-44s %9s req/s  p50 %7s ms  p99 %7s ms' "list reads, city clerk" "$(field rps "$OUT")" "$(field p50_ms "$OUT")" "$(field p99_ms "$OUT")")")
clerk_rps=$(field rps "$OUT")
load "list (department handler, 经信局, category=policy)" -c "$CONNS" -d 1 -H "Authorization: Bearer $handler" -u '/api/v1/demands?limit=20&category=policy'
load "list (department handler, 经信局, category=policy)" -c "$CONNS" -d "$SECS" -H "Authorization: Bearer $handler" -u '/api/v1/demands?limit=20&category=policy'
SUMMARY+=("$(printf '%-44s %9s req/s  p50 %7s ms  p99 %7s ms' "list reads, department handler" "$(field rps "$OUT")" "$(field p50_ms "$OUT")" "$(field p99_ms "$OUT")")")
handler_rps=$(field rps "$OUT")

# ---- statistics: the last 365 days ---------------------------------------------------------
TO=$(TZ=Asia/Shanghai date +%F)
FROM=$(TZ=Asia/Shanghai date -d "$TO - 364 days" +%F)
F_MS=$(date -d "$FROM 00:00 +0800" +%s)000
T_MS=$(($(date -d "$TO 00:00 +0800" +%s) * 1000 + 86400000))
STATS="/api/v1/stats/demands?from=$FROM&to=$TO"
curl -sS -H "Authorization: Bearer $supervisor" "http://127.0.0.1:$PORT$STATS" >"$TMP/city.json"
curl -sS -H "Authorization: Bearer $admin" "http://127.0.0.1:$PORT$STATS" >"$TMP/province.json"

# The peer: the same figures by a plain GROUP BY scan of demands and events (psql, no counts).
peer_sql() { # region_lo region_hi ('' '' for the province)
    local scope="TRUE" dscope="TRUE"
    if [ -n "$1" ]; then scope="d.region >= '$1' AND d.region < '$2'"; dscope=$scope; fi
    cat <<SQL
SELECT 'C', o.code, x.n, x.sot, x.rep, x.rot, x.rated, x.sat FROM (SELECT d.lead_org_id,
    COUNT(*) AS n,
    SUM(CASE WHEN d.signed_at <= d.sign_due THEN 1 ELSE 0 END) AS sot,
    SUM(CASE WHEN d.replied_at IS NOT NULL THEN 1 ELSE 0 END) AS rep,
    SUM(CASE WHEN d.replied_at <= d.reply_due THEN 1 ELSE 0 END) AS rot,
    SUM(CASE WHEN COALESCE(d.rating, 0) <> 0 THEN 1 ELSE 0 END) AS rated,
    SUM(CASE WHEN d.rating >= 4 THEN 1 ELSE 0 END) AS sat
    FROM demands d WHERE d.dispatched_at >= $F_MS AND d.dispatched_at < $T_MS
    AND d.merged_into IS NULL AND d.lead_org_id IS NOT NULL AND $scope GROUP BY d.lead_org_id) x
    JOIN orgs o ON o.id = x.lead_org_id;
SELECT 'R', ev.data::json ->> 'lead', COUNT(*) FROM events ev JOIN demands d ON d.id = ev.entity_id
    WHERE ev.entity = 'demand' AND ev.action = 'dispatch' AND ev.at >= $F_MS AND ev.at < $T_MS
    AND $dscope GROUP BY 2;
SELECT 'T', o.code, COUNT(*) FROM events ev JOIN demands d ON d.id = ev.entity_id
    JOIN users u ON ev.actor = 'user:' || u.username JOIN orgs o ON o.id = u.org_id
    WHERE ev.entity = 'demand' AND ev.action = 'return' AND ev.at >= $F_MS AND ev.at < $T_MS
    AND $dscope GROUP BY 2;
SQL
}
peer_run() { # name lo hi runs: times each run, keeps the last output, sets PEER_P50
    local name=$1 lo=$2 hi=$3 runs=$4 all=() t0 t1
    peer_sql "$lo" "$hi" >"$TMP/peer.sql"
    for _ in $(seq 1 "$runs"); do
        t0=$(date +%s%N)
        psqlq -F ' ' -f "$TMP/peer.sql" >"$TMP/peer-$name.out"
        t1=$(date +%s%N)
        all+=("$(((t1 - t0) / 1000000))")
    done
    PEER_P50=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "   peer scan ($name, $runs runs): ${all[*]} ms"
}
agree() { # name json peer-output
    python3 - "$1" "$2" "$3" <<'PY' || die "$1: the statistics and the scan disagree"
import json, sys
name, api, peer = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read().split("\n")
keys = ["dispatched", "signed_on_time", "replied", "replied_on_time", "rated", "satisfied"]
want = {}
for line in filter(None, peer):
    f = line.split(" ")
    row = want.setdefault(f[1], {k: 0 for k in keys + ["received", "returned"]})
    if f[0] == "C":
        row.update(zip(keys, map(int, f[2:8])))
    else:
        row["received" if f[0] == "R" else "returned"] = int(f[2])
got = {i["org"]["code"]: {k: i[k] for k in keys + ["received", "returned"]} for i in api["items"]}
if got != want:
    for code in sorted(set(got) | set(want)):
        if got.get(code) != want.get(code):
            print("  %s: statistics %s, scan %s" % (code, got.get(code), want.get(code)), file=sys.stderr)
    sys.exit(1)
t = api["total"]
print("   agree (%s): %d organisations; dispatched %d, replied %d, received %d, returned %d, overdue %d" % (
    name, len(got), t["dispatched"], t["replied"], t["received"], t["returned"], t["overdue"]))
PY
}
peer_run city 3408 '3408:' 5
agree "city 安庆" "$TMP/city.json" "$TMP/peer-city.out"
city_peer=$PEER_P50
peer_run province '' '' 3
agree "province" "$TMP/province.json" "$TMP/peer-province.out"
prov_peer=$PEER_P50

load "statistics (city supervisor, 安庆, 365 days; warm-up)" -c 1 -d 600 -n 10 -H "Authorization: Bearer $supervisor" -u "$STATS"
load "statistics (city supervisor, 安庆, 365 days)" -c 1 -d 600 -n "$STATS_N" -H "Authorization: Bearer $supervisor" -u "$STATS"
city_p50=$(field p50_ms "$OUT")
city_p99=$(field p99_ms "$OUT")
SUMMARY+=("$(printf '%-44s %9s req/s  p50 %7s ms  p99 %7s ms  peer scan p50 %s ms, ratio %s' "statistics, city (安庆 督查室)" "$(field rps "$OUT")" "$city_p50" "$city_p99" "$city_peer" "$(awk -v a="$city_peer" -v b="$city_p50" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')")")
PROV_N=$((STATS_N / 10 > 5 ? STATS_N / 10 : 5))
load "statistics (administrator, province, 365 days)" -c 1 -d 600 -n "$PROV_N" -H "Authorization: Bearer $admin" -u "$STATS"
SUMMARY+=("$(printf '%-44s %9s req/s  p50 %7s ms  p99 %7s ms  peer scan p50 %s ms, ratio %s' "statistics, province (administrator)" "$(field rps "$OUT")" "$(field p50_ms "$OUT")" "$(field p99_ms "$OUT")" "$prov_peer" "$(awk -v a="$prov_peer" -v b="$(field p50_ms "$OUT")" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')")")
prov_p99=$(field p99_ms "$OUT")
kill -TERM "$SRV_PID"
wait "$SRV_PID" || die "qifu serve exited with status $?"
SRV_PID=""

# ---- 免申即享 over every enterprise --------------------------------------------------------
if [ "${BENCH_MATCH:-1}" = 0 ]; then
    match_note="not measured"
    SUMMARY+=("免申即享 run: not measured (BENCH_MATCH=0)")
else
    g0=$(psqlq -c "SELECT COUNT(*) FROM grants")
    /usr/bin/time -f "%e %M" -o "$TMP/match.time" "$QIFU" match --all --db "$URL" >"$TMP/match.out" 2>"$TMP/match.err" ||
        die "qifu match --all: $(tail -3 "$TMP/match.err")"
    g1=$(psqlq -c "SELECT COUNT(*) FROM grants")
    read -r m_secs m_kb <"$TMP/match.time"
    echo "   qifu match --all: $(head -1 "$TMP/match.out")"
    SUMMARY+=("$(printf '免申即享 run over %s enterprises: %s s, peak RSS %s MiB, %s grants written (%s in all)' "$n_ent" "$m_secs" "$((m_kb / 1024))" "$((g1 - g0))" "$g1")")
    match_note="$m_secs s, $((m_kb / 1024)) MiB, $((g1 - g0)) grants"
fi

echo "----------------------------------------------------------------------"
printf '%s\n' "${SUMMARY[@]}"
echo "----------------------------------------------------------------------"
verdict=$(awk -v p="$city_p99" 'BEGIN { print (p <= 200 ? "MET" : "MISSED") }')
echo "BENCH scale_volume: $n_ent enterprises, $n_dem demands on PostgreSQL (durable): city statistics p99 $city_p99 ms (target 200: $verdict; scan peer $city_peer ms), province p99 $prov_p99 ms (scan peer $prov_peer ms); list reads clerk $clerk_rps/s, handler $handler_rps/s; 免申即享 $match_note"
