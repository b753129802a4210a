#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/run.sh: what `make bench` runs. Each benchmark compares qifu with a named peer on
# identical data in the same run, checks that the results agree before quoting speed, and
# ends with one "BENCH <name>: ..." line; this script repeats those lines at the end and
# fails when any benchmark failed.
#
#   bench/run.sh [NAME ...]      default: every benchmark below
#
# Environment: see each script (BENCH_ROWS, BENCH_PG=1, QIFU_BIN, ...).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

ALL="import demands rules policies_http scale web catalog_checklist catalog_search" # bench/<name>.sh
names=("$@")
[ ${#names[@]} -gt 0 ] || read -r -a names <<<"$ALL"

out=$(mktemp -d /tmp/qifu-benchrun.XXXXXX)
trap 'rm -rf "$out"' EXIT
failed=0
summary=()
for name in "${names[@]}"; do
    script=bench/$name.sh
    if [ ! -x "$script" ]; then
        echo "bench/run: no benchmark $script" >&2
        failed=$((failed + 1))
        continue
    fi
    echo "==== bench $name"
    start=$(date +%s)
    "$script" 2>&1 | tee "$out/$name.log"
    status=${PIPESTATUS[0]}
    line=$(grep -E '^BENCH ' "$out/$name.log" | tail -1)
    if [ "$status" != 0 ] || [ -z "$line" ]; then
        failed=$((failed + 1))
        summary+=("FAILED $name (exit $status after $(($(date +%s) - start)) s)")
    else
        summary+=("$line")
    fi
done
echo "==== summary"
printf '%s\n' "${summary[@]}"
[ "$failed" = 0 ]
