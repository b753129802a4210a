#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# down.sh DIR PORT: stops the trial up.sh started in DIR and removes DIR (docs/deploy.md,
# the `sh trial-down` block).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: down.sh DIR PORT" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export QIFU_HOME=${1%/} BASE_PORT=$2
exec scripts/province/run-doc.sh trial-settings settings trial-down
