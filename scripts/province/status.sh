#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# status.sh DIR PORT: clusters, replication, each process's /readyz and nginx's upstream
# list of the trial in DIR (docs/deploy.md, the `sh trial-status` block).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: status.sh DIR PORT" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export QIFU_HOME=${1%/} BASE_PORT=$2
exec scripts/province/run-doc.sh trial-settings settings trial-status
