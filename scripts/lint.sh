#!/usr/bin/env bash
# make lint: banned functions (curl's checksrc idea), backend-neutral domain code
# (scripts/lint-dialect.sh), cppcheck, and GCC's static analyser (-fanalyzer) over
# src/. Every report fails; a false positive of the analyser is suppressed only by a
# line of scripts/lint-suppressions.txt that says why. Layout is `make format-check`.
# LINT_JOBS (default 2) sets the analyser's parallel jobs.
set -u
cd "$(dirname "$0")/.."
status=0
# Raw allocation outside mem.c, and the classic unsafe string functions anywhere.
bad=$(grep -nE '\b(malloc|calloc|realloc|free)\(' src/*/*.c src/main.c |
      grep -v '^src/base/mem.c:' | grep -v 'lint:allow-free' | grep -vE '\bx(malloc|calloc|realloc|free)\(|PQfreemem|sqlite3_free')
bad2=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok)\(' src/*/*.c src/main.c)
if [ -n "$bad$bad2" ]; then
    echo "lint: banned functions:"; printf '%s\n%s\n' "$bad" "$bad2" | sed '/^$/d'
    status=1
fi
# Backend checks and backend-only SQL outside src/store (docs/internals/store.md).
scripts/lint-dialect.sh || status=1
if command -v cppcheck >/dev/null 2>&1; then
    cppcheck -q --error-exitcode=1 --enable=warning,portability --std=c11 \
        --suppress=missingIncludeSystem -Isrc src || status=1
else
    echo "lint: cppcheck is missing (scripts/deps.sh --lint installs it)"; status=1
fi

# The analyser: one log per source file (make analyze, incremental), then every warning
# that no suppression covers is a report.
if ! gcc -fanalyzer -x c -c -o /dev/null /dev/null 2>/dev/null; then
    echo "lint: gcc has no -fanalyzer (GCC 10 or later is needed)"; exit 1
fi
make --no-print-directory -j"${LINT_JOBS:-2}" analyze || status=1
supp=scripts/lint-suppressions.txt
# Logs of sources that no longer exist are stale.
for log in $(find build/analyze -name '*.log' 2>/dev/null); do
    src=${log#build/analyze/}; src=${src%.log}.c
    [ -f "$src" ] || rm -f "$log"
done
reports=$(cat $(find build/analyze -name '*.log') /dev/null | grep -E ': (warning|error): ' | sort -u)
printf '%s\n' "$reports" | python3 scripts/lint_suppress.py "$supp" || status=1
[ $status = 0 ] && echo "lint: clean"
exit $status
