#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/web.sh: cold load of the login page and of 我的政策 (the enterprise's policy
# matches) under emulated slow 3G (1.6 Mbps, 300 ms RTT) and 4G (9 Mbps, 170 ms RTT), in
# Debian's Chromium through playwright-core (bench/web.mjs; CDP Network.emulateNetworkConditions,
# cache disabled, a new browser context per load, 375×812). Prints time to usable and bytes
# transferred per page and profile (median of BENCH_WEB_RUNS, default 3), then one line
#   BENCH web: login slow-3g X s (N KB), 我的政策 slow-3g Y s (M KB); 4g ... (target login ≤ 2.5 s on slow 3G)
# The server is a fresh `qifu serve` on 127.0.0.1 with `qifu demo` data, its web UI embedded.
#
#   bench/web.sh            (or: bench/run.sh web)
# Environment: QIFU_BIN (default ./qifu, else build/release/qifu), CHROMIUM, BENCH_WEB_RUNS,
# BENCH_STRICT=1 (exit 3 when the login page misses 2.5 s on slow 3G), BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "bench/web: $*" >&2; exit 1; }
QIFU=${QIFU_BIN:-$([ -x ./qifu ] && echo ./qifu || echo build/release/qifu)}
[ -x "$QIFU" ] || die "no qifu binary ($QIFU): run make"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || die "no Chromium: run scripts/deps.sh --test"
[ -d web/node_modules/playwright-core ] || die "no web/node_modules: run scripts/web-deps.sh"
TMP=$(mktemp -d /tmp/qifu-benchweb.XXXXXX)
SRV_PID=
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench/web: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. bench/lib.sh
db="sqlite:$TMP/qifu.db"
export QIFU_FAST_HASH=1
"$QIFU" migrate --db "$db" >/dev/null 2>&1
"$QIFU" demo --db "$db" >/dev/null 2>&1
start_server "$db" "$TMP/server.log"
url="http://127.0.0.1:$PORT"
out=$(node bench/web.mjs "$url")
echo "$out" | grep -v '^JSON '
json=$(echo "$out" | sed -n 's/^JSON //p')
# shellcheck disable=SC2016 # JavaScript, not shell, in single quotes
line=$(node -e '
const r = JSON.parse(process.argv[1])
const f = (k) => `${(r[k].ms / 1000).toFixed(2)} s (${Math.round(r[k].bytes / 1024)} KB)`
console.log(`login slow-3g ${f("login@slow-3g")}, 我的政策 slow-3g ${f("my-policies@slow-3g")}; ` +
  `login 4g ${f("login@4g")}, 我的政策 4g ${f("my-policies@4g")} (target: login ≤ 2.5 s on slow 3G)`)
' "$json")
echo "BENCH web: $line"
login_ms=$(node -e 'console.log(JSON.parse(process.argv[1])["login@slow-3g"].ms)' "$json")
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$login_ms" -gt 2500 ]; then exit 3; fi
