#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# up.sh DIR PORT: the one-machine trial of docs/deploy.md. Runs the page's `sh trial-settings`,
# `sh settings`, `sh step`, `sh trial-apps` and `sh trial` blocks in page order (scripts/province/run-doc.sh),
# with everything under DIR (absolute, short: PostgreSQL's sockets live there) and ports
# PORT..PORT+12 on 127.0.0.1: nginx (HTTPS) on PORT, the primary on PORT+1, the standby on
# PORT+2, the qifu processes on PORT+11 and PORT+12. QIFU_BIN names the binary (default:
# build/release/qifu of this checkout). Take it down with down.sh DIR PORT.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: up.sh DIR PORT" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export QIFU_HOME=${1%/} BASE_PORT=$2
export QIFU_BIN=${QIFU_BIN:-$root/build/release/qifu}
exec scripts/province/run-doc.sh trial-settings settings step trial-apps trial
