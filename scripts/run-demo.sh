#!/usr/bin/env bash
# `make run`: migrate an SQLite database, load the demo data and serve on 127.0.0.1:8080.
# QIFU_DB and QIFU_LISTEN override the defaults.
set -eu
cd "$(dirname "$0")/.."
db=${QIFU_DB:-sqlite:qifu-demo.db}
listen=${QIFU_LISTEN:-127.0.0.1:8080}
./qifu migrate --db "$db"
# The demo city: organisations, users, 2,000 synthetic enterprises and a year of history
# ending now (deterministic from the seed); on a database that has it, nothing is redone.
./qifu demo --db "$db" --history --seed "${QIFU_DEMO_SEED:-1}" \
    --enterprises "${QIFU_DEMO_ENTERPRISES:-2000}"
echo
echo "qifu 企服 正在运行 (serving): http://${listen}"
echo "  健康检查 health:  curl http://${listen}/healthz"
echo "  登录 log in:      curl -X POST http://${listen}/api/v1/session -H 'Content-Type: application/json' \\"
echo "                      -d '{\"username\":\"admin\",\"password\":\"demo\"}'"
echo "  按 Ctrl-C 停止 (Ctrl-C stops)"
exec ./qifu serve --db "$db" --listen "$listen"
