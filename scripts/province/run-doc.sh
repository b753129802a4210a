#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-doc.sh: runs the shell blocks of docs/deploy.md, as an operator following the page
# would type them, so the page and what the trial runs cannot drift apart.
#
#   scripts/province/run-doc.sh KIND...          run every block of these kinds, in page order
#   scripts/province/run-doc.sh --print KIND...  print that script instead of running it
#   scripts/province/run-doc.sh --env KIND...    run it, then print the settings (NAME=value)
#
# A block is a fenced block whose info string is "sh KIND" (```sh step). Blocks of the
# kinds named run in the order the page has them, as one bash script with -euo pipefail
# (a failing command stops it), so a variable set in one block is seen by the next.
# DEPLOY_DOC names another page (tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
doc=${DEPLOY_DOC:-$here/../../docs/deploy.md}
mode=run
case ${1:-} in
--print) mode=print; shift ;;
--env) mode=env; shift ;;
esac
[ $# -gt 0 ] || { echo "usage: run-doc.sh [--print|--env] KIND..." >&2; exit 2; }

script=$(awk -v kinds=" $* " '
    /^```/ {
        if (infence) { infence = 0; inblock = 0; next }
        infence = 1
        split(substr($0, 4), w, " ")
        if (w[1] == "sh" && w[2] != "" && index(kinds, " " w[2] " ")) {
            inblock = 1
            printf "\n# ---- docs/deploy.md line %d (%s)\n", NR, w[2]
        }
        next
    }
    inblock { print }
' "$doc")
[ -n "$script" ] || { echo "run-doc.sh: no blocks of kind $* in $doc" >&2; exit 2; }

case $mode in
print) printf '%s\n' "$script" ;;
run) exec bash -euo pipefail -c "$script" run-doc ;;
env) exec bash -euo pipefail -c "$script
for v in \${DEPLOY_SETTINGS}; do printf '%s=%s\n' \"\$v\" \"\${!v}\"; done" run-doc ;;
esac
