#!/usr/bin/env bash
# Runs every test: the unit tests (Check), then the integration tests (pytest driving
# the real binary over HTTP) against SQLite and, unless TEST_PG=0, against a private
# PostgreSQL cluster started here and stopped at the end, then the browser tests
# (tests/web: node --test, playwright-core driving Debian's Chromium; TEST_WEB=0 skips
# them). With PostgreSQL, the province test (tests/province) runs after the integration
# tests. The last line is the total, "N passed, N failed", which CI reads.
#
#   tests/run.sh [--build build/release] [--unit-only | --web-only] [-k PYTEST_EXPR]
set -u
cd "$(dirname "$0")/.."
build=build/release
unit_only=0
web_only=0
pytest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --unit-only) unit_only=1; shift ;;
    --web-only) web_only=1; shift ;;
    -k) pytest_args+=(-k "$2"); shift 2 ;;
    *) echo "tests/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

passed=0
failed=0
skipped=0
out=$(mktemp -d /tmp/qifu-test.XXXXXX)
pgdir=""
cleanup() {
    [ -n "$pgdir" ] && scripts/pg-test.sh stop "$pgdir" >/dev/null 2>&1
    rm -rf "$out"
}
trap cleanup EXIT

if [ "${QIFU_SANITIZE:-0}" = 1 ]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

if [ "${TEST_PG:-1}" = 1 ] && [ "$web_only" = 0 ]; then
    pgdir=$(mktemp -d /tmp/qifu-pg.XXXXXX)
    if url=$(scripts/pg-test.sh start "$pgdir" 2>"$out/pg.log"); then
        export TEST_PG_DIR=$pgdir
        export TEST_PG_DSN=$url
        echo "== PostgreSQL test cluster: $url"
    else
        echo "== could not start PostgreSQL:"; cat "$out/pg.log"
        failed=$((failed + 1))
        pgdir=""
    fi
fi

# Adds the summary line of a pytest log to the totals; a log without one counts as a failure.
count_pytest() {
    local line p f e s
    line=$(grep -E '^(=+ )?[0-9]+ (passed|failed|skipped|deselected)|^(=+ )?no tests ran' "$1" |
        tail -1)
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || true)
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || true)
    e=$(grep -oE '[0-9]+ error' <<<"$line" | grep -oE '[0-9]+' || true)
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || true)
    skipped=$((skipped + ${s:-0}))
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${e:-0}))
    [ -z "$line" ] && failed=$((failed + 1))
    return 0
}

[ "$web_only" = 1 ] || echo "== unit tests ($build)"
for t in "$build"/tests/test_*; do
    [ "$web_only" = 0 ] && [ -x "$t" ] || continue
    name=$(basename "$t")
    "$t" >"$out/$name.log" 2>&1
    status=$?
    summary=$(grep -E '^[0-9]+%: Checks: ' "$out/$name.log" | tail -1)
    checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$summary")
    fails=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$summary")
    if [ -z "$summary" ]; then
        echo "  $name: no summary (exit $status)"; cat "$out/$name.log"
        failed=$((failed + 1)); continue
    fi
    f=$((fails))
    passed=$((passed + checks - f))
    failed=$((failed + f))
    echo "  $name: $summary"
    [ "$f" -gt 0 ] && grep -E ':[FE]:' "$out/$name.log" | head -20
done

if [ "$unit_only" = 0 ] && [ "$web_only" = 0 ]; then
    echo "== integration tests (pytest, real server over HTTP)"
    export QIFU_BIN=$PWD/$build/qifu
    /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider "${pytest_args[@]}" \
        2>&1 | tee "$out/pytest.log"
    count_pytest "$out/pytest.log"
fi

# The province test (tests/province): docs/deploy.md followed literally on one machine,
# 2 qifu processes + nginx + a PostgreSQL primary and standby of its own (not the test
# cluster above), and the faults they survive. PostgreSQL-only, like the cluster.
if [ "$unit_only" = 0 ] && [ "$web_only" = 0 ] && [ -n "$pgdir" ]; then
    echo "== province test (docs/deploy.md: 2 processes, nginx, primary + standby)"
    QIFU_BIN=$PWD/$build/qifu /usr/bin/python3 -m pytest tests/province -q -p no:cacheprovider \
        "${pytest_args[@]}" 2>&1 | tee "$out/province.log"
    count_pytest "$out/province.log"
fi

if [ "$unit_only" = 0 ] && [ "${TEST_WEB:-1}" = 1 ]; then
    echo "== browser tests (node --test, playwright-core + Chromium; screenshots in build/test-output/web)"
    if ! scripts/web-deps.sh >"$out/web-deps.log" 2>&1; then
        echo "  could not install web/node_modules:"; cat "$out/web-deps.log"
        failed=$((failed + 1))
    else
        QIFU_BIN=$PWD/$build/qifu node --test --test-reporter=tap tests/web/*.test.mjs \
            >"$out/web.log" 2>&1
        grep -E '^(not )?ok |^# (pass|fail) ' "$out/web.log"
        p=$(grep -E '^# pass [0-9]+' "$out/web.log" | tail -1 | grep -oE '[0-9]+' || true)
        f=$(grep -E '^# fail [0-9]+' "$out/web.log" | tail -1 | grep -oE '[0-9]+' || true)
        if [ -z "$p" ]; then
            echo "  node --test printed no summary:"; tail -40 "$out/web.log"
            failed=$((failed + 1))
        else
            [ "${f:-0}" -gt 0 ] && grep -B2 -A25 '^not ok' "$out/web.log" | head -120
            passed=$((passed + p))
            failed=$((failed + ${f:-0}))
        fi
    fi
fi

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
