#!/usr/bin/env bash
# make lint: banned functions (curl's checksrc idea) and cppcheck. Layout is `make format-check`.
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
if command -v cppcheck >/dev/null 2>&1; then
    cppcheck -q --error-exitcode=1 --enable=warning,portability --std=c11 \
        --suppress=missingIncludeSystem -Isrc src || status=1
fi
[ $status = 0 ] && echo "lint: clean"
exit $status
