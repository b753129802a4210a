#!/usr/bin/env bash
# Installs the web UI's npm packages into web/node_modules exactly as package-lock.json
# says (`npm ci`), when node_modules is missing or was installed from other contents of
# package.json / package-lock.json. The stamp holds their SHA-256: a checkout's newer
# file date alone (a fresh clone, a git worktree) does not reinstall, and a changed lock
# file does. Several build dirs and worktrees share web/node_modules, so this runs under
# a lock and re-checks inside it.
# Playwright (tests/web) drives Debian's Chromium: no browser is ever downloaded.
set -eu
cd "$(dirname "$0")/../web"
stamp=node_modules/.qifu-npm-ci
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "web-deps: node/npm not found: run scripts/deps.sh (installs Debian's nodejs npm)," >&2
    echo "          or build without the web UI: make WITH_WEB=0" >&2
    exit 1
fi
exec 9>.npm-ci.lock
flock 9
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    touch "$stamp" # newer than the lock file for make
    exit 0
fi
echo "web-deps: npm ci (web/)"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
