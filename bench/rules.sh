#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/rules.sh: policy matching (issue 5), qifu's rule engine side by side with the npm
# peers json-logic-js and json-rules-engine on the same generated policies and enterprises.
#
#   bench/rules.sh                         1,100 policies × 1,000,000 enterprises
#   BENCH_RULES_N=200000 bench/rules.sh    fewer enterprises for the batch
#
# Environment: BENCH_BIN_DIR (where rules_bench is; default build/release/bench),
# BENCH_RULES_P (1100 policies), BENCH_RULES_N (1000000 enterprises), BENCH_RULES_THREADS (2),
# BENCH_RULES_REPEAT (3: the batch's best of), BENCH_RULES_ROWS (1000: row-evaluator samples),
# BENCH_RULES_SAMPLE (5000: complete enterprises for json-logic-js), BENCH_RULES_JRE (200:
# of those, for json-rules-engine, which is async and ~100 µs per pair), BENCH_STRICT=1 (exit 3
# when a target is missed), BENCH_KEEP=1 (keep the dump).
#
# What is measured, in one run (bench/rules_bench.c generates everything deterministically):
#   qifu   (a) the batch evaluator over P × N on 2 threads: seconds, ns per pair;
#          (b) the row evaluator with explanations, one enterprise × P policies: p50/p99;
#          (c) RSS of the compiled set and of the columnar table.
#   peers  json-logic-js on the policies exported by rules_to_jsonlogic, json-rules-engine on
#          the same translated to its rule format (bench/peers/peers.js), on a sample of
#          enterprises with complete data. Every peer result is checked equal to qifu's
#          outcome for every pair before any speed is quoted; a difference fails the run.
# Not measured here: the HTTP figure (GET /api/v1/enterprises/{code}/policies with the same
# 1,100 policies published): bench/policies_http.sh (bench/run.sh policies_http).
# The last line is the summary ("BENCH rules: ...").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

P=${BENCH_RULES_P:-1100}
N=${BENCH_RULES_N:-1000000}
THREADS=${BENCH_RULES_THREADS:-2}
REPEAT=${BENCH_RULES_REPEAT:-3}
ROWS=${BENCH_RULES_ROWS:-1000}
SAMPLE=${BENCH_RULES_SAMPLE:-5000}
JRE=${BENCH_RULES_JRE:-200}
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}/rules_bench

die() {
    echo "bench/rules: FAIL: $*" >&2
    exit 1
}
for v in P N THREADS REPEAT ROWS SAMPLE JRE; do
    case "${!v}" in '' | *[!0-9]*) die "$v must be a non-negative integer, not '${!v}'" ;; esac
done
[ -x "$BIN" ] || die "no $BIN (run make bench-bin, or set BENCH_BIN_DIR)"

need_pkg() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing Debian package $2 (for $1)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
            die "apt-get install $2 failed"
    fi
    command -v "$1" >/dev/null 2>&1 || die "$1 is missing: install the Debian package $2"
}
need_pkg node nodejs
need_pkg npm npm

TMP=$(mktemp -d /tmp/qifu-rules-bench.XXXXXX)
cleanup() {
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

echo "== bench/rules: $P policies × $N enterprises, $THREADS threads, $(nproc) cores, node $(node --version)"

# ---- the peers' packages (pinned by bench/peers/package-lock.json) ------------------------------
if [ ! -d bench/peers/node_modules/json-logic-js ] || [ ! -d bench/peers/node_modules/json-rules-engine ] ||
    [ bench/peers/package-lock.json -nt bench/peers/node_modules/.package-lock.json ]; then
    echo "== npm ci (bench/peers)"
    (cd bench/peers && npm ci --no-audit --no-fund --loglevel=error >"$TMP/npm.log" 2>&1) ||
        die "npm ci failed: $(tail -5 "$TMP/npm.log")"
fi

# ---- qifu --------------------------------------------------------------------------------------
"$BIN" --policies "$P" --enterprises "$N" --threads "$THREADS" --repeat "$REPEAT" \
    --row-iters "$ROWS" --sample "$SAMPLE" --dump "$TMP/dump" | tee "$TMP/qifu.out" ||
    die "rules_bench exited non-zero"
result=$(grep '^RESULT ' "$TMP/qifu.out" | tail -1)
[ -n "$result" ] || die "rules_bench printed no RESULT line"
get() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<" $result"; }
batch_s=$(get batch_s)
batch_ns=$(get batch_ns)
p50=$(get row_p50_ms)
p99=$(get row_p99_ms)
q50=$(get noexpl_p50_ms)
q99=$(get noexpl_p99_ms)
set_mb=$(get set_mb)
table_mb=$(get table_mb)
leaves=$(get leaves)

# ---- the peers ------------------------------------------------------------------------------------
echo "== peers: json-logic-js on $SAMPLE enterprises, json-rules-engine on $JRE (× $P policies, complete data)"
(cd bench/peers && node peers.js "$TMP/dump" --jl "$SAMPLE" --jre "$JRE") | tee "$TMP/peers.out" ||
    die "a peer's results differ from qifu's, or a peer failed (see above)"
peer_line() { grep "^PEER name=$1 " "$TMP/peers.out" | tail -1; }
jl=$(peer_line json-logic-js)
jre=$(peer_line json-rules-engine)
[ -n "$jl" ] && [ -n "$jre" ] || die "a peer printed no result"
pns() { sed -E 's/.*ns_per_pair=([^ ]+).*/\1/' <<<"$1"; }
jl_ns=$(pns "$jl")
jre_ns=$(pns "$jre")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }'; }

hr() { printf '%s\n' "----------------------------------------------------------------------"; }
hr
printf '%-34s %14s %14s %10s\n' "batch, ns per (enterprise, policy)" "qifu" "peer" "peer/qifu"
printf '%-34s %14s %14s %9sx\n' "json-logic-js $(node -p 'require("./bench/peers/node_modules/json-logic-js/package.json").version')" \
    "$batch_ns" "$jl_ns" "$(ratio "$jl_ns" "$batch_ns")"
printf '%-34s %14s %14s %9sx\n' "json-rules-engine $(node -p 'require("./bench/peers/node_modules/json-rules-engine/package.json").version')" \
    "$batch_ns" "$jre_ns" "$(ratio "$jre_ns" "$batch_ns")"
hr
echo "qifu batch: $P × $N in $batch_s s on $THREADS threads ($leaves distinct conditions after sharing)"
echo "qifu row evaluator with explanations, 1 × $P: p50 $p50 ms, p99 $p99 ms (in-process)"
echo "qifu row evaluator without explanations, 1 × $P: p50 $q50 ms, p99 $q99 ms (in-process)"
echo "qifu memory: compiled set $set_mb MB, columnar table $table_mb MB (RSS growth)"
echo "HTTP (GET /api/v1/enterprises/{code}/policies): see bench/run.sh policies_http"
missed=""
awk -v s="$batch_s" -v n="$N" -v p="$P" 'BEGIN { exit !(n * p >= 1e9 && s > 2.0) }' && missed="$missed batch>2s"
awk -v x="$p99" 'BEGIN { exit !(x > 2.0) }' && missed="$missed row-p99>2ms"
[ -z "$missed" ] || echo "targets missed:$missed (batch ≤ 2 s for 1,100 × 1,000,000; row p99 ≤ 2 ms)"
echo "BENCH rules: batch ${P}x${N} ${batch_s} s = ${batch_ns} ns/pair (json-logic-js ${jl_ns} ns/pair, $(ratio "$jl_ns" "$batch_ns")x; json-rules-engine ${jre_ns} ns/pair, $(ratio "$jre_ns" "$batch_ns")x; results equal), row+explain p50 ${p50} ms p99 ${p99} ms, set ${set_mb} MB + table ${table_mb} MB${missed:+, MISSED:$missed}"
if [ -n "$missed" ] && [ "${BENCH_STRICT:-0}" = 1 ]; then exit 3; fi
