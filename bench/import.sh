#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/import.sh: bulk import of generated enterprises (issue 3: 1,000,000 rows in
# under a minute on SQLite on a 2-core machine).
#
#   bench/import.sh                 1,000,000 rows, SQLite
#   BENCH_ROWS=100000 bench/import.sh
#   BENCH_PG=1 bench/import.sh      also PostgreSQL (a private cluster, scripts/pg-test.sh)
#
# Environment: QIFU_BIN (default ./qifu, else build/release/qifu), BENCH_ROWS (1000000),
# BENCH_SEED (42), BENCH_TARGET_S (60: the budget for the SQLite import), BENCH_STRICT=1
# (exit 3 when the budget is missed), BENCH_KEEP=1 (keep the temp dir), BENCH_PG=1.
#
# What is measured, in one run on the same file:
#   qifu   `qifu import enterprises FILE` into a fresh, migrated database: parse, validate
#          (check digits, GB/T 2260/4754 codes, fact types, duplicates), upsert, facts,
#          full-text index, audit event, one transaction (SQLite: WAL, synchronous=FULL).
#   peer   Debian's sqlite3 CLI `.import --csv` of the same file into a plain table made
#          from the header (all TEXT, no validation, no indexes), same journal settings:
#          the floor of raw SQLite ingest. With BENCH_PG=1, psql `\copy ... csv` likewise.
# The result is checked before any speed is quoted: the import must report N created and
# 0 invalid, and count(*) must be N in both databases; otherwise the run fails (exit 1).
# The last line is the summary ("BENCH import: ...").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${BENCH_ROWS:-1000000}
SEED=${BENCH_SEED:-42}
TARGET_S=${BENCH_TARGET_S:-60}
QIFU=${QIFU_BIN:-}
if [ -z "$QIFU" ]; then
    if [ -x "$ROOT/qifu" ]; then QIFU=$ROOT/qifu; else QIFU=$ROOT/build/release/qifu; fi
fi

die() {
    echo "bench/import: FAIL: $*" >&2
    exit 1
}

case "$N" in '' | *[!0-9]*) die "BENCH_ROWS must be a positive integer, not '$N'" ;; esac
[ "$N" -gt 0 ] || die "BENCH_ROWS must be positive"
[ -x "$QIFU" ] || die "no qifu binary at $QIFU (run make qifu, or set QIFU_BIN)"

# Tools: GNU time for the peak RSS, the sqlite3 CLI for the peer. Installed via apt when
# missing and we are root; otherwise a clear failure.
need_pkg() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing Debian package $2 (for $1)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
            die "apt-get install $2 failed"
    fi
    command -v "$1" >/dev/null 2>&1 || die "$1 is missing: install the Debian package $2"
}
[ -x /usr/bin/time ] || need_pkg /usr/bin/time time
need_pkg sqlite3 sqlite3

TMP=$(mktemp -d /tmp/qifu-bench.XXXXXX)
PGDIR=""
cleanup() {
    if [ -n "$PGDIR" ]; then "$ROOT/scripts/pg-test.sh" stop "$PGDIR" >/dev/null 2>&1 || true; fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
rss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
size_mb() { # total MB of the files that exist (a WAL may be gone after a checkpoint)
    local f total=0
    for f in "$@"; do
        if [ -e "$f" ]; then total=$((total + $(stat -c %s "$f"))); fi
    done
    awk -v b="$total" 'BEGIN { printf "%.0f", b / 1048576 }'
}
hr() { printf '%s\n' "----------------------------------------------------------------------"; }

echo "== bench/import: $N enterprises, seed $SEED, $(nproc) cores, qifu $("$QIFU" version | awk '{print $2}')"
echo "   $QIFU"
echo "   sqlite3 $(sqlite3 --version | awk '{print $1}'), temp dir $TMP"

# ---- the data ----------------------------------------------------------------------
CSV=$TMP/enterprises.csv
t0=$(now_ns)
"$QIFU" demo --enterprises "$N" --seed "$SEED" --out "$CSV" >"$TMP/gen.out" ||
    die "qifu demo failed: $(cat "$TMP/gen.out")"
t1=$(now_ns)
lines=$(wc -l <"$CSV")
[ "$lines" -eq $((N + 1)) ] || die "generated file has $lines lines, want $((N + 1))"
echo "== generated $(size_mb "$CSV") MB in $(secs "$t0" "$t1") s"

# ---- qifu on SQLite ---------------------------------------------------------------------
DB=$TMP/qifu.db
"$QIFU" migrate --db "sqlite:$DB" >"$TMP/migrate.out" 2>&1 || die "migrate: $(cat "$TMP/migrate.out")"
sync
echo "== qifu import enterprises (SQLite) ..."
t0=$(now_ns)
/usr/bin/time -v -o "$TMP/qifu.time" "$QIFU" import enterprises "$CSV" --db "sqlite:$DB" \
    >"$TMP/qifu.out" 2>"$TMP/qifu.err" || die "qifu import exited $?: $(tail -5 "$TMP/qifu.out" "$TMP/qifu.err")"
t1=$(now_ns)
q_s=$(secs "$t0" "$t1")
summary=$(grep -E '^rows [0-9]+, invalid' "$TMP/qifu.out" || true)
echo "   $summary"
want="rows $N, invalid 0, created $N, updated 0, unchanged 0, facts [0-9]+: imported"
[[ "$summary" =~ ^$want$ ]] || die "qifu import did not report $N created and 0 invalid: $summary"
q_facts=$(sed -E 's/.*facts ([0-9]+).*/\1/' <<<"$summary")
count=$(sqlite3 "$DB" "SELECT COUNT(*) FROM enterprises")
[ "$count" = "$N" ] || die "count(*) of enterprises is $count, want $N"
facts=$(sqlite3 "$DB" "SELECT COUNT(*) FROM enterprise_facts")
[ "$facts" = "$q_facts" ] || die "enterprise_facts holds $facts rows, the import reported $q_facts"
# every generated name ends in 有限公司, 股份有限公司 or 有限责任公司
fts=$(sqlite3 "$DB" "SELECT COUNT(*) FROM enterprises_fts WHERE enterprises_fts MATCH '\"限公司\" OR \"任公司\"'")
[ "$fts" = "$N" ] || die "the search index finds $fts of $N names"
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
q_rate=$(rate "$N" "$q_s")
q_rss=$(rss_mb "$TMP/qifu.time")
q_mb=$(size_mb "$DB" "$DB-wal")
echo "   verified: $count enterprises, $facts facts, all names in the search index"
echo "   $q_s s, $q_rate rows/s, max RSS $q_rss MB, database $q_mb MB"

# ---- the peer: sqlite3 .import --csv into a plain table --------------------------------
PDB=$TMP/peer.db
sqlite3 "$PDB" "PRAGMA journal_mode=WAL" >/dev/null
sync
echo "== peer: sqlite3 .import --csv (plain table, no validation, no indexes) ..."
t0=$(now_ns)
/usr/bin/time -v -o "$TMP/peer.time" sqlite3 -batch -cmd "PRAGMA synchronous=FULL" \
    -cmd ".import --csv $CSV raw" "$PDB" ".quit" \
    >"$TMP/peer.out" 2>&1 || die "sqlite3 .import failed: $(tail -5 "$TMP/peer.out")"
t1=$(now_ns)
p_s=$(secs "$t0" "$t1")
pcount=$(sqlite3 "$PDB" "SELECT COUNT(*) FROM raw")
[ "$pcount" = "$N" ] || die "peer table holds $pcount rows, want $N"
first=$(sqlite3 "$PDB" "SELECT credit_code FROM raw LIMIT 1")
[ "$first" = "$(sed -n 2p "$CSV" | cut -d, -f1)" ] || die "peer table does not start with the first row"
sqlite3 "$PDB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
p_rate=$(rate "$N" "$p_s")
p_rss=$(rss_mb "$TMP/peer.time")
p_mb=$(size_mb "$PDB" "$PDB-wal")
echo "   verified: $pcount rows"
echo "   $p_s s, $p_rate rows/s, max RSS $p_rss MB, database $p_mb MB"
ratio=$(awk -v a="$q_rate" -v b="$p_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')

# ---- optionally PostgreSQL ------------------------------------------------------------------
pg_line=""
if [ "${BENCH_PG:-0}" = 1 ]; then
    command -v psql >/dev/null 2>&1 || die "BENCH_PG=1 needs psql"
    PGDIR=$(mktemp -d /tmp/qb-pg.XXXX)
    "$ROOT/scripts/pg-test.sh" start "$PGDIR" >"$TMP/pg.url" 2>"$TMP/pg.log" ||
        die "could not start PostgreSQL: $(tail -5 "$TMP/pg.log")"
    QURL=$("$ROOT/scripts/pg-test.sh" newdb "$PGDIR" qifu_bench)
    PURL=$("$ROOT/scripts/pg-test.sh" newdb "$PGDIR" peer_bench)
    "$QIFU" migrate --db "$QURL" >"$TMP/pgmigrate.out" 2>&1 || die "migrate (PG): $(cat "$TMP/pgmigrate.out")"
    echo "== qifu import enterprises (PostgreSQL, test cluster: fsync=off) ..."
    t0=$(now_ns)
    /usr/bin/time -v -o "$TMP/qpg.time" "$QIFU" import enterprises "$CSV" --db "$QURL" \
        >"$TMP/qpg.out" 2>"$TMP/qpg.err" || die "qifu import (PG) failed: $(tail -5 "$TMP/qpg.out" "$TMP/qpg.err")"
    t1=$(now_ns)
    qp_s=$(secs "$t0" "$t1")
    summary=$(grep -E '^rows [0-9]+, invalid' "$TMP/qpg.out" || true)
    echo "   $summary"
    [[ "$summary" =~ ^$want$ ]] || die "qifu import (PG) did not report $N created and 0 invalid"
    count=$(psql -X -qAt -d "$QURL" -c "SELECT COUNT(*) FROM enterprises")
    [ "$count" = "$N" ] || die "count(*) (PG) is $count, want $N"
    qp_rate=$(rate "$N" "$qp_s")
    qp_mb=$(psql -X -qAt -d "$QURL" -c "SELECT pg_database_size(current_database()) / 1048576")
    echo "   $qp_s s, $qp_rate rows/s, client max RSS $(rss_mb "$TMP/qpg.time") MB, database $qp_mb MB"
    cols=$(head -1 "$CSV" | sed 's/^\xEF\xBB\xBF//; s/,/ text, /g; s/$/ text/')
    psql -X -q -d "$PURL" -c "CREATE TABLE raw ($cols)" || die "peer table (PG)"
    echo "== peer: psql \\copy csv (plain table, no validation, no indexes) ..."
    t0=$(now_ns)
    psql -X -q -d "$PURL" -c "\\copy raw FROM '$CSV' WITH (FORMAT csv, HEADER true)" ||
        die "psql \\copy failed"
    t1=$(now_ns)
    pp_s=$(secs "$t0" "$t1")
    count=$(psql -X -qAt -d "$PURL" -c "SELECT COUNT(*) FROM raw")
    [ "$count" = "$N" ] || die "peer table (PG) holds $count rows, want $N"
    pp_rate=$(rate "$N" "$pp_s")
    echo "   $pp_s s, $pp_rate rows/s"
    pg_ratio=$(awk -v a="$qp_rate" -v b="$pp_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    pg_line="; PostgreSQL: qifu $qp_rate rows/s ($qp_s s), psql \\copy $pp_rate rows/s, ratio $pg_ratio"
fi

# ---- summary ---------------------------------------------------------------------------------
verdict=$(awk -v s="$q_s" -v t="$TARGET_S" -v n="$N" \
    'BEGIN { b = t * n / 1000000; printf "%s (budget %.1f s for %d rows)", (s < b ? "MET" : "MISSED"), b, n }')
hr
printf '%-34s %12s %10s %12s %10s\n' "import of $N enterprises" "seconds" "rows/s" "max RSS MB" "DB MB"
printf '%-34s %12s %10s %12s %10s\n' "qifu import (SQLite)" "$q_s" "$q_rate" "$q_rss" "$q_mb"
printf '%-34s %12s %10s %12s %10s\n' "peer: sqlite3 .import --csv" "$p_s" "$p_rate" "$p_rss" "$p_mb"
printf 'ratio qifu/peer (rows/s): %s; target under %s s per 1,000,000 rows: %s\n' "$ratio" "$TARGET_S" "$verdict"
hr
echo "BENCH import: qifu $q_rate rows/s ($N rows in $q_s s, RSS $q_rss MB, DB $q_mb MB) vs sqlite3 .import $p_rate rows/s ($p_s s): ratio $ratio; target $verdict$pg_line"
if [ "${BENCH_STRICT:-0}" = 1 ] && [[ "$verdict" == MISSED* ]]; then
    exit 3
fi
