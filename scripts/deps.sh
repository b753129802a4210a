#!/usr/bin/env bash
# Installs the Debian 12 packages qifu needs, and only those that are missing.
# Idempotent; prints what it installs. Needs root (apt-get) when something is missing.
#
#   scripts/deps.sh          build + run: compiler, libmicrohttpd, Jansson, SQLite, libpq, libsodium,
#                            libxlsxwriter (Excel export), libzip + expat (Excel import)
#   scripts/deps.sh --test   also the test tools: Check, PostgreSQL server, python3-pytest, curl,
#                            Chromium and a CJK font for the browser tests (tests/web)
# Node.js and npm (the web UI's build, web/) come from Debian when `node` is missing;
# a newer Node already on the machine is used as it is.
#   scripts/deps.sh --fuzz   also clang with libFuzzer (make fuzz)
#   scripts/deps.sh --lint   also cppcheck (make lint; its analyser is gcc's -fanalyzer)
set -eu
want=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
      libsodium-dev libxlsxwriter-dev libzip-dev libexpat1-dev)
if [ "${1:-}" = "--fuzz" ]; then
    want+=(clang libclang-rt-14-dev)
fi
if [ "${1:-}" = "--lint" ]; then
    want+=(cppcheck)
fi
if [ "${1:-}" = "--test" ]; then
    want+=(check libsubunit-dev postgresql python3 python3-pytest curl sqlite3 procps)
    # The province test (tests/province, docs/deploy.md): nginx, a self-signed certificate.
    want+=(nginx-light openssl)
    want+=(chromium fonts-wqy-microhei)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#want[@]} packages present"
    exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: run as root, or install by hand: apt-get install ${missing[*]}" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# Installing nginx or postgresql would start the system's service (nginx on port 80, the
# cluster "main" on 5432). The tests start their own private ones, so keep the packages'
# scripts from starting any: a policy-rc.d that says no, for the time of the install only.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: installed ${missing[*]}"
