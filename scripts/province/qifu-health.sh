#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# qifu-health.sh: the active health check that open-source nginx lacks.
#
#   qifu-health.sh [--once] [--interval SECONDS] UPSTREAM_FILE 'RELOAD COMMAND' HOST:PORT...
#
# Polls each qifu process's /healthz (the process answers) and /readyz (its database
# answers) every SECONDS (default 1) and writes UPSTREAM_FILE, the `server` lines of
# nginx's upstream block, marking `down` the processes that failed twice in a row; when
# the file changes it runs the reload command (`nginx -s reload`, or `systemctl reload
# nginx`). A process comes back after two good checks in a row. --once writes the file
# from one round of checks and exits (used at install time, before nginx starts).
#
# Policy: a process is down if /healthz fails (dead, hung, not yet started), or if
# /readyz fails while another process's /readyz passes (its own database connection is
# broken). When /readyz fails on every process, the database itself is away: all stay
# listed, so clients get qifu's own 503 ("服务暂不可用") rather than nginx's 502. If no
# process is healthy at all, every one stays listed and nginx's passive checks decide.
set -u
once=0
interval=1
while [ $# -gt 0 ]; do
    case $1 in
    --once) once=1; shift ;;
    --interval) interval=$2; shift 2 ;;
    *) break ;;
    esac
done
[ $# -ge 3 ] || { echo "usage: qifu-health.sh [--once] [--interval S] FILE 'RELOAD' HOST:PORT..." >&2; exit 2; }
file=$1
reload=$2
shift 2
apps=("$@")
FALL=2 # failed checks in a row before a process is marked down
RISE=2 # good checks in a row before it is listed again

declare -A state fails goods # state: up|down
for a in "${apps[@]}"; do
    state[$a]=up
    fails[$a]=0
    goods[$a]=0
done

probe() { # probe HOST:PORT PATH: 0 if it answers 2xx within 1 s
    curl -fsS -o /dev/null --max-time 1 "http://$1$2" 2>/dev/null
}

render() {
    local out="" a
    local any_up=0
    for a in "${apps[@]}"; do [ "${state[$a]}" = up ] && any_up=1; done
    out="# written by qifu-health.sh; do not edit (it is rewritten when a process changes state)"$'\n'
    for a in "${apps[@]}"; do
        if [ "${state[$a]}" = down ] && [ $any_up = 1 ]; then
            out+="server $a down;"$'\n'
        else
            out+="server $a max_fails=1 fail_timeout=5s;"$'\n'
        fi
    done
    printf '%s' "$out"
}

check_round() {
    local a healthy=() ready=() n_ready=0
    for a in "${apps[@]}"; do
        if probe "$a" /healthz; then healthy+=(1); else healthy+=(0); fi
        if probe "$a" /readyz; then ready+=(1); n_ready=$((n_ready + 1)); else ready+=(0); fi
    done
    local i=0
    for a in "${apps[@]}"; do
        local ok=1
        [ "${healthy[$i]}" = 1 ] || ok=0
        [ "${ready[$i]}" = 1 ] || [ $n_ready = 0 ] || ok=0
        if [ $ok = 1 ]; then
            fails[$a]=0
            goods[$a]=$((goods[$a] + 1))
            [ "${goods[$a]}" -ge $RISE ] || [ $once = 1 ] && state[$a]=up
        else
            goods[$a]=0
            fails[$a]=$((fails[$a] + 1))
            [ "${fails[$a]}" -ge $FALL ] || [ $once = 1 ] && state[$a]=down
        fi
        i=$((i + 1))
    done
}

write_if_changed() { # returns 0 if the file changed
    local new
    new=$(render)
    if [ -f "$file" ] && [ "$(cat "$file")" = "$new" ]; then
        return 1
    fi
    printf '%s\n' "$new" >"$file.tmp" && mv "$file.tmp" "$file"
    return 0
}

if [ $once = 1 ]; then
    check_round
    write_if_changed || true
    exit 0
fi

trap 'exit 0' TERM INT
while :; do
    check_round
    if write_if_changed; then
        echo "$(date -u +%FT%TZ) qifu-health: $(grep -c ' down;' "$file") of ${#apps[@]} down; reloading nginx"
        sh -c "$reload" || echo "$(date -u +%FT%TZ) qifu-health: reload failed: $reload" >&2
    fi
    sleep "$interval" &
    wait $!
done
