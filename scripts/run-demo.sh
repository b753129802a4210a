#!/usr/bin/env bash
# `make run`: migrate an SQLite database, load the demo data and serve on 127.0.0.1:8080.
# QIFU_DB and QIFU_LISTEN override the defaults; QIFU_SERVE_ARGS adds flags to `qifu serve`
# (e.g. --operator 主办单位 --icp 备案号 for the footer of the public pages).
set -eu
cd "$(dirname "$0")/.."
db=${QIFU_DB:-sqlite:qifu-demo.db}
listen=${QIFU_LISTEN:-127.0.0.1:8080}
# A busy port is said at once, before the demo data is loaded (qifu serve says it too).
host=${listen%:*}
port=${listen##*:}
if (exec 3<>"/dev/tcp/${host/localhost/127.0.0.1}/$port") 2>/dev/null; then
    echo "qifu: 端口 $port 已被占用 (port $port is already in use)。" >&2
    echo "      换一个端口 (use another port): make run QIFU_LISTEN=127.0.0.1:8081" >&2
    exit 1
fi
./qifu migrate --db "$db"
# The demo city: organisations, users, 2,000 synthetic enterprises and a year of history
# ending now (deterministic from the seed); on a database that has it, nothing is redone.
./qifu demo --db "$db" --history --seed "${QIFU_DEMO_SEED:-1}" \
    --enterprises "${QIFU_DEMO_ENTERPRISES:-2000}"
echo
echo "qifu 企服 正在启动 (starting): http://${listen}  — 见下方 'serving on' 一行 (see the 'serving on' line below)"
echo "  健康检查 health:  curl http://${listen}/healthz"
echo "  登录 log in:      curl -X POST http://${listen}/api/v1/session -H 'Content-Type: application/json' \\"
echo "                      -d '{\"username\":\"admin\",\"password\":\"demo\"}'"
echo "  按 Ctrl-C 停止 (Ctrl-C stops)"
# shellcheck disable=SC2086 # QIFU_SERVE_ARGS is a list of flags
exec ./qifu serve --db "$db" --listen "$listen" ${QIFU_SERVE_ARGS:-}
