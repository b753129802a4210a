#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/catalog_checklist.sh: the personal material list of a guide with 10 情形 questions
# (issue 18), p99, beside two peers measured in the same run.
#
#   bench/catalog_checklist.sh                       20,000 answer sets
#   BENCH_CHECKLIST_SETS=5000 bench/catalog_checklist.sh
#
# Environment: BENCH_BIN_DIR (where checklist_bench is; default build/release/bench),
# BENCH_CHECKLIST_SETS (20000), BENCH_KEEP=1 (keep the dump).
#
# What is measured (bench/checklist_bench.c generates everything deterministically), all
# in-process, one thread, no HTTP:
#   qifu    catalog_checklist_eval on a guide compiled once (10 questions; 40 materials,
#           8 steps, 4 fees, 3 受理条件, 41 of them conditioned) plus json_dumps of the
#           answer: the list, the pending items, the questions still needed ranked, reasons.
#           p50/p99 over all answer sets (each question answered with probability 7/10)
#           and over the complete ones (a quarter of them).
#   engine  the policy matcher's path: rules_eval of the same conditions for the same answers,
#           outcomes only (what the checklist adds on top is the rest).
#   npm     json-logic-js on the conditions exported by rules_to_jsonlogic, complete answer
#           sets only (JsonLogic has no UNKNOWN), evaluation only (bench/peers/checklist.js).
# Before any time is quoted, every checklist is checked against the engine's outcomes (in,
# pending, out per item) and json-logic-js's lists against qifu's; a difference fails.
# The last line is the summary ("BENCH catalog_checklist: ...").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SETS=${BENCH_CHECKLIST_SETS:-20000}
BIN=${BENCH_BIN_DIR:-$ROOT/build/release/bench}/checklist_bench

die() {
    echo "bench/catalog_checklist: FAIL: $*" >&2
    exit 1
}
case "$SETS" in '' | *[!0-9]*) die "BENCH_CHECKLIST_SETS must be a number" ;; esac
[ -x "$BIN" ] || die "no $BIN (run make bench-bin, or set BENCH_BIN_DIR)"
command -v node >/dev/null 2>&1 || die "node is missing: install the Debian package nodejs"

TMP=$(mktemp -d /tmp/qifu-checklist-bench.XXXXXX)
cleanup() {
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

if [ ! -d bench/peers/node_modules/json-logic-js ] ||
    [ bench/peers/package-lock.json -nt bench/peers/node_modules/.package-lock.json ]; then
    echo "== npm ci (bench/peers)"
    (cd bench/peers && npm ci --no-audit --no-fund --loglevel=error >"$TMP/npm.log" 2>&1) ||
        die "npm ci failed: $(tail -5 "$TMP/npm.log")"
fi

echo "== bench/catalog_checklist: $SETS answer sets, $(nproc) cores, node $(node --version)"
"$BIN" --sets "$SETS" --dump "$TMP/dump.json" | tee "$TMP/qifu.out" ||
    die "checklist_bench failed (a checklist differs from the engine's outcomes, see above)"
result=$(grep '^RESULT ' "$TMP/qifu.out" | tail -1)
[ -n "$result" ] || die "checklist_bench printed no RESULT line"
(cd bench/peers && node checklist.js "$TMP/dump.json") | tee "$TMP/peer.out" ||
    die "json-logic-js's lists differ from qifu's, or it failed (see above)"
peer=$(grep '^PEER ' "$TMP/peer.out" | tail -1)
[ -n "$peer" ] || die "the peer printed no result"
get() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<" $2"; }
p50=$(get p50_us "$result")
p99=$(get p99_us "$result")
c50=$(get complete_p50_us "$result")
c99=$(get complete_p99_us "$result")
e50=$(get engine_p50_us "$result")
e99=$(get engine_p99_us "$result")
j50=$(get p50_us "$peer")
j99=$(get p99_us "$peer")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "FIGURE checklist_p99 ${p99} us peer engine_rules_eval ${e99} ratio $(ratio "$p99" "$e99")"
echo "FIGURE checklist_complete_p99 ${c99} us peer json-logic-js ${j99} ratio $(ratio "$c99" "$j99")"
echo "BENCH catalog_checklist: personal list of a 10-question guide p50 ${p50} us p99 ${p99} us (all answer sets; rules_eval alone p99 ${e99} us); complete answers p50 ${c50} us p99 ${c99} us vs json-logic-js evaluation only p50 ${j50} us p99 ${j99} us ($(ratio "$c99" "$j99")x); results equal"
