# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/lib.sh: what bench/demands.sh and bench/scale.sh share, sourced by both: the
# preload of N demands (the same data in both benchmarks) and starting and stopping
# `qifu serve`. The caller defines TMP, QIFU and die(); start_server sets SRV_PID and PORT.

# ---- the preload: N demands through SQL ------------------------------------------------
# Demand i: enterprise i mod K of the K enterprises of 安庆 (region 3408xx: the demo
# enterprise and those of BENCH_ENTERPRISES generated ones that are in 安庆, imported
# with `qifu import enterprises`), in that enterprise's region, so that every list and
# detail read joins a real enterprise row; one of five categories, created i
# minutes before now - N minutes, dispatched to the 经信局 (the demo handler's
# organisation) as lead, every third also to the 发改委 as co-handler; states cycle
# dispatched, signed, replied, signed. Two timeline events each (submit, dispatch).
preload_sql() { # kind N
    local series no
    if [ "$1" = sqlite ]; then
        series="WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $2)"
        no="'QF20250101' || substr('0000000' || i, -8, 8)"
        from="FROM s"
        now="CAST(strftime('%s', 'now') AS INTEGER) * 1000"
    else
        series=""
        no="'QF20250101' || lpad(i::text, 8, '0')"
        from="FROM generate_series(1::bigint, $2) AS s(i)"
        now="(extract(epoch FROM now()) * 1000)::bigint"
    fi
    cat <<SQL
BEGIN;
CREATE TEMP TABLE bench_ents (k BIGINT PRIMARY KEY, credit_code TEXT NOT NULL, region TEXT NOT NULL,
    name TEXT NOT NULL);
INSERT INTO bench_ents SELECT row_number() OVER (ORDER BY credit_code) - 1, credit_code, region, name
FROM enterprises WHERE region LIKE '3408%';
$series
INSERT INTO demands (id, no, credit_code, region, category, urgency, channel, title, content,
    contact_name, contact_phone, address, state, lead_org_id, intake_org_id, sign_due, reply_due,
    accepted_at, dispatched_at, signed_at, replied_at, created_by, created_at, updated_at,
    enterprise_name)
SELECT i, $no, b.credit_code, b.region,
    CASE i % 5 WHEN 0 THEN 'consult' WHEN 1 THEN 'help' WHEN 2 THEN 'financing'
        WHEN 3 THEN 'policy' ELSE 'approval' END,
    CASE WHEN i % 50 = 0 THEN 'urgent' ELSE 'normal' END,
    CASE i % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'window' ELSE 'hotline' END,
    '关于新建生产线审批事项的咨询 ' || i,
    '我公司新建生产线需要办理相关审批手续，请问需要准备哪些材料，办理时限多长？编号 ' || i,
    '方晓东', '13905561234', '安徽省安庆市宜秀区创新大道 88 号',
    CASE i % 4 WHEN 0 THEN 'dispatched' WHEN 2 THEN 'replied' ELSE 'signed' END,
    (SELECT id FROM orgs WHERE code = '340800-JXJ'), (SELECT id FROM orgs WHERE code = '340800-QFZX'),
    t + 4 * 86400000, t + 20 * 86400000, t + 3600000, t + 7200000,
    CASE WHEN i % 4 = 0 THEN NULL ELSE t + 86400000 END,
    CASE WHEN i % 4 = 2 THEN t + 5 * 86400000 ELSE NULL END,
    'user:clerk', t, t, b.name
FROM (SELECT i, $now - ($2 - i + $2) * 60000 AS t $from) AS x
JOIN bench_ents b ON b.k = x.i % (SELECT COUNT(*) FROM bench_ents);
INSERT INTO demand_handlers (demand_id, org_id, role, category)
SELECT id, (SELECT id FROM orgs WHERE code = '340800-JXJ'), 'lead', category FROM demands;
INSERT INTO demand_handlers (demand_id, org_id, role, category)
SELECT id, (SELECT id FROM orgs WHERE code = '340800-FGW'), 'co', category FROM demands WHERE id % 3 = 0;
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state, to_state)
SELECT 'demand', id, created_at, 'user:clerk', '窗口受理员', '安庆市企业服务中心', 'submit', NULL, 'submitted'
FROM demands;
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state, to_state)
SELECT 'demand', id, dispatched_at, 'user:clerk', '窗口受理员', '安庆市企业服务中心', 'dispatch', 'accepted',
    'dispatched' FROM demands;
COMMIT;
SQL
    if [ "$1" = postgres ]; then
        echo "SELECT setval('demands_id_seq', $2); SELECT setval('events_id_seq', (SELECT MAX(id) FROM events));"
        echo "ANALYZE;"
    else
        echo "ANALYZE;"
        echo "PRAGMA wal_checkpoint(TRUNCATE);" # the steady state of a running server
    fi
}

start_server() { # url log [threads: default $BENCH_THREADS, else the server's]
    rm -f "$TMP/port"
    local args=(serve --listen 127.0.0.1:0 --port-file "$TMP/port" --db "$1")
    local threads=${3:-${BENCH_THREADS:-}}
    if [ -n "$threads" ]; then args+=(--threads "$threads"); fi
    "$QIFU" "${args[@]}" 2>"$2" &
    SRV_PID=$!
    for _ in $(seq 1 300); do
        if [ -s "$TMP/port" ] && curl -sf "http://127.0.0.1:$(cat "$TMP/port")/healthz" >/dev/null; then
            # shellcheck disable=SC2034 # read by the caller
            PORT=$(cat "$TMP/port")
            return 0
        fi
        kill -0 "$SRV_PID" 2>/dev/null || die "qifu serve exited: $(tail -5 "$2")"
        sleep 0.05
    done
    die "qifu serve did not answer /healthz: $(tail -5 "$2")"
}

stop_server() {
    kill -TERM "$SRV_PID"
    wait "$SRV_PID" || die "qifu serve exited with status $?"
    SRV_PID=""
}
