-- SPDX-License-Identifier: Apache-2.0
--
-- bench/scale_gen.sql: the province-volume benchmark database (issue 16 item 6), for
-- PostgreSQL, run by bench/scale_volume.sh with psql after `qifu migrate` and `qifu demo`:
--
--   psql -v ents_csv=FILE -v cities_tsv=FILE -v demands=N -f bench/scale_gen.sql
--
-- (both files are read by the server: COPY FROM a file, so the postgres user must reach them)
-- ents_csv   the CSV of `qifu demo --enterprises N --seed 42 --out FILE` (src/ent/ent_gen.c:
--            valid credit codes, real GB/T 2260 counties and GB/T 4754 classes, spread over
--            Anhui's 16 cities by ent_gen's city weights, see bench.md for their source).
-- cities_tsv `code<TAB>name` of Anhui's prefecture-level cities, cut by the script from
--            src/codes/regions_table.c (generated from the GB/T 2260 list in refdata), so no
--            region code is typed here.
-- demands    how many demands.
--
-- Everything is set-based (COPY and INSERT ... SELECT over generate_series): the 1,000,000
-- enterprises and 5,000,000 demands of the full scale take minutes, not the hours that the
-- API (one transaction and one audit event per row) would. This path bypasses the API, so it
-- writes no audit events; the demand counts of migration 0019 are rebuilt at the end with the
-- migration's own backfill statement (the triggers are off during the bulk insert).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
-- Foreign keys are checked by triggers: replica mode skips them (and the demand-count
-- triggers) for the bulk insert; the data is consistent by construction, the counts are
-- rebuilt at the end. Needs a superuser, as the benchmark's own cluster has.
SET session_replication_role = replica;
SELECT setseed(0.42);

-- ---- enterprises ------------------------------------------------------------------------
CREATE TEMP TABLE stage (credit_code text, name text, region text, industry text,
    founded text, registered_capital text, scale text, legal_rep text, address text, tags text,
    contact_name text, contact_title text, contact_mobile text, contact_id_number text,
    as_of text, employees text, insured_employees text, revenue text, rd_expense text,
    tax_paid text, tax_credit_rating text, dishonest_executee text,
    equipment_investment text, loan_interest text, invention_patents text);
COPY stage FROM :'ents_csv' WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE gen_now AS SELECT (extract(epoch FROM now()) * 1000)::bigint AS ms;

INSERT INTO enterprises (credit_code, name, region, industry, founded, capital_fen, scale,
    legal_rep, address, contacts, created_at, updated_at)
SELECT credit_code, name, region, NULLIF(industry, ''), NULLIF(founded, ''),
    NULLIF(registered_capital, '')::bigint, NULLIF(scale, ''), legal_rep, address,
    CASE WHEN contact_name = '' THEN '[]' ELSE json_build_array(json_strip_nulls(json_build_object(
        'id_number', NULLIF(contact_id_number, ''), 'mobile', NULLIF(contact_mobile, ''),
        'name', contact_name, 'title', NULLIF(contact_title, ''))))::text END,
    (SELECT ms FROM gen_now), (SELECT ms FROM gen_now)
FROM stage ON CONFLICT (credit_code) DO NOTHING;
INSERT INTO enterprise_tags (credit_code, tag)
SELECT DISTINCT s.credit_code, t FROM stage s, unnest(string_to_array(s.tags, ';')) AS t
WHERE s.tags <> '' ON CONFLICT DO NOTHING;
-- The yearly facts, as `qifu import enterprises` records them (authoritative, as of the
-- file's date, source 批量导入); empty cells are unknown and not recorded.
INSERT INTO enterprise_facts (credit_code, fact, value, as_of, status, source, recorded_at,
    recorded_by)
SELECT s.credit_code, f.fact, f.value, s.as_of, 'authoritative', '批量导入',
    (SELECT ms FROM gen_now), 'cli:bench'
FROM stage s CROSS JOIN LATERAL (VALUES ('employees', s.employees),
    ('insured_employees', s.insured_employees), ('revenue', s.revenue),
    ('rd_expense', s.rd_expense), ('tax_paid', s.tax_paid),
    ('tax_credit_rating', s.tax_credit_rating), ('dishonest_executee', s.dishonest_executee),
    ('equipment_investment', s.equipment_investment), ('loan_interest', s.loan_interest),
    ('invention_patents', s.invention_patents)) AS f(fact, value)
WHERE f.value <> '' AND s.credit_code NOT IN (SELECT credit_code FROM enterprise_facts);
DROP TABLE stage;

-- ---- organisations: each city as the demo's 安庆 (its service centre, 督查室 and departments)
CREATE TEMP TABLE cities (code text PRIMARY KEY, name text);
COPY cities FROM :'cities_tsv';
CREATE TEMP TABLE depts (suffix text, name text, kind text, role text);
INSERT INTO depts VALUES ('QFZX', '企业服务中心', 'center', 'clerk'),
    ('DCS', '人民政府督查室', 'department', 'supervisor'),
    ('FGW', '发展和改革委员会', 'department', 'handler'),
    ('JXJ', '经济和信息化局', 'department', 'handler'),
    ('RSJ', '人力资源和社会保障局', 'department', 'handler'),
    ('SJJ', '数据资源管理局', 'department', 'handler');
INSERT INTO orgs (code, name, kind, region, parent_id, path, created_at)
SELECT c.code, c.name || '人民政府', 'city', c.code, NULL, '', (SELECT ms FROM gen_now)
FROM cities c ON CONFLICT (code) DO NOTHING;
UPDATE orgs SET path = '/' || id || '/' WHERE path = '';
INSERT INTO orgs (code, name, kind, region, parent_id, path, created_at)
SELECT c.code || '-' || d.suffix, c.name || d.name, d.kind, c.code, p.id, '', (SELECT ms FROM gen_now)
FROM cities c CROSS JOIN depts d JOIN orgs p ON p.code = c.code ON CONFLICT (code) DO NOTHING;
UPDATE orgs o SET path = p.path || o.id || '/' FROM orgs p WHERE o.path = '' AND p.id = o.parent_id;
-- One user per organisation (password demo, the demo handler's hash): u-<org code>.
INSERT INTO users (username, display_name, role, org_id, password_hash, created_at, updated_at)
SELECT 'u-' || o.code, o.name || '工作人员', d.role, o.id,
    (SELECT password_hash FROM users WHERE username = 'handler'), (SELECT ms FROM gen_now),
    (SELECT ms FROM gen_now)
FROM orgs o JOIN depts d ON o.code LIKE '%-' || d.suffix ON CONFLICT (username) DO NOTHING;

-- ---- demands ------------------------------------------------------------------------------
CREATE TEMP TABLE ents AS SELECT (row_number() OVER (ORDER BY credit_code) - 1)::bigint AS k,
    credit_code, region, name FROM enterprises;
CREATE UNIQUE INDEX ON ents (k);
CREATE TEMP TABLE leads AS SELECT left(o.region, 4) AS city, substr(o.code, 8) AS suffix,
    o.id, o.code FROM orgs o WHERE o.code ~ '^34[0-9]{4}-';
CREATE UNIQUE INDEX ON leads (city, suffix);
-- Demand i: a random enterprise (so cities get demands by their share of enterprises),
-- created at a random moment of the last 365 days; category by a fixed mix and the lead
-- department of the enterprise's city that the category goes to; the state by age: a demand
-- of the last 30 days is more often still open, an older one mostly closed (rated, archived),
-- with a few left open past their deadlines (overdue); 2% declined, 8% answered directly, 1%
-- merged. Clocks: sign-for 1 day and reply 15 days after dispatch; signed within 36 h (some
-- late), replied 1-20 days after dispatch (some late); ratings mostly 4-5.
CREATE TEMP TABLE gen AS
SELECT i, e.credit_code, e.region, e.name AS ent_name, x.t, x.u1, x.u2, x.u3, x.u4,
    CASE WHEN x.uc < 0.20 THEN 'consult' WHEN x.uc < 0.30 THEN 'help'
        WHEN x.uc < 0.38 THEN 'complaint' WHEN x.uc < 0.41 THEN 'report'
        WHEN x.uc < 0.46 THEN 'suggestion' WHEN x.uc < 0.48 THEN 'praise'
        WHEN x.uc < 0.60 THEN 'financing' WHEN x.uc < 0.70 THEN 'employment'
        WHEN x.uc < 0.88 THEN 'policy' ELSE 'approval' END AS category,
    (SELECT ms FROM gen_now) - x.t AS age
FROM generate_series(1::bigint, :demands) AS i
CROSS JOIN LATERAL (SELECT (SELECT ms FROM gen_now) - (random() * 365 * 86400000::bigint)::bigint AS t,
    random() AS uc, random() AS u1, random() AS u2, random() AS u3, random() AS u4,
    (random() * (SELECT COUNT(*) FROM ents))::bigint AS k WHERE i > 0) AS x
JOIN ents e ON e.k = LEAST(x.k, (SELECT COUNT(*) - 1 FROM ents));

CREATE TEMP TABLE gen2 AS
SELECT g.*, l.id AS lead_id, l.code AS lead_code, c.id AS intake_id,
    CASE WHEN g.u1 < 0.02 THEN 'declined' WHEN g.u1 < 0.10 THEN 'answered_directly'
        WHEN g.u1 < 0.11 AND g.i > 1 THEN 'merged'
        WHEN g.age < 2 * 86400000::bigint AND g.u2 < 0.5 THEN (CASE WHEN g.u3 < 0.5 THEN 'submitted' ELSE 'accepted' END)
        WHEN g.age < 30 * 86400000::bigint THEN (CASE WHEN g.u2 < 0.15 THEN 'dispatched'
            WHEN g.u2 < 0.50 THEN 'signed' WHEN g.u2 < 0.53 THEN 'return_requested'
            WHEN g.u2 < 0.56 THEN 'extension_requested' WHEN g.u2 < 0.58 THEN 'reopened'
            WHEN g.u2 < 0.60 THEN 'rectifying' ELSE 'replied' END)
        ELSE (CASE WHEN g.u2 < 0.15 THEN 'replied' WHEN g.u2 < 0.45 THEN 'rated'
            WHEN g.u2 < 0.95 THEN 'archived' WHEN g.u2 < 0.96 THEN 'rectifying'
            WHEN g.u2 < 0.98 THEN 'signed' WHEN g.u2 < 0.99 THEN 'reopened' ELSE 'dispatched' END)
    END AS state
FROM gen g
JOIN leads l ON l.city = left(g.region, 4) AND l.suffix = CASE
    WHEN g.category IN ('consult', 'help', 'suggestion', 'praise') THEN 'QFZX'
    WHEN g.category IN ('complaint', 'report') THEN 'DCS' WHEN g.category = 'financing' THEN 'FGW'
    WHEN g.category = 'employment' THEN 'RSJ' WHEN g.category = 'policy' THEN 'JXJ' ELSE 'SJJ' END
JOIN leads c ON c.city = left(g.region, 4) AND c.suffix = 'QFZX';
DROP TABLE gen;

INSERT INTO demands (id, no, credit_code, region, category, urgency, channel, title, content,
    contact_name, contact_phone, address, state, prev_state, lead_org_id, intake_org_id,
    sign_due, reply_due, rectify_due, rating, rating_count, merged_into, accepted_at,
    dispatched_at, signed_at, replied_at, closed_at, created_by, created_at, updated_at,
    enterprise_name)
SELECT i, 'QB' || lpad(i::text, 10, '0'), credit_code, region, category,
    CASE WHEN u4 < 0.02 THEN 'urgent' ELSE 'normal' END,
    CASE WHEN u3 < 0.5 THEN 'web' WHEN u3 < 0.8 THEN 'hotline' ELSE 'window' END,
    '关于' || category || '事项的诉求 ' || i,
    '我公司在经营中遇到问题，请相关部门协调解决。编号 ' || i,
    '联系人', '13900000000', NULL, state,
    CASE WHEN state IN ('return_requested', 'extension_requested') THEN 'signed' END,
    CASE WHEN dsp THEN lead_id END, intake_id,
    CASE WHEN dsp THEN dat + 86400000 END, CASE WHEN dsp THEN dat + 15 * 86400000::bigint END,
    CASE WHEN state = 'rectifying' THEN rat + 10 * 86400000::bigint END,
    CASE WHEN state IN ('rated', 'archived') THEN (CASE WHEN u4 < 0.60 THEN 5 WHEN u4 < 0.88 THEN 4 ELSE 3 END)
        WHEN state = 'rectifying' THEN (CASE WHEN u4 < 0.5 THEN 1 ELSE 2 END)
        WHEN state = 'answered_directly' AND u4 < 0.5 THEN 5 END,
    CASE WHEN state IN ('rated', 'archived', 'rectifying') THEN 1 ELSE 0 END,
    CASE WHEN state = 'merged' THEN i - 1 END,
    CASE WHEN state NOT IN ('submitted', 'declined', 'merged') THEN t + 1800000 END,
    CASE WHEN dsp THEN dat END,
    CASE WHEN dsp AND state NOT IN ('dispatched') THEN dat + (u3 * 36 * 3600000)::bigint END,
    CASE WHEN rep THEN rat WHEN state = 'answered_directly' THEN t + 86400000 END,
    CASE WHEN state IN ('archived', 'declined', 'merged') THEN t + 40 * 86400000::bigint END,
    'user:u-' || left(region, 4) || '00-QFZX', t, t, ent_name
FROM (SELECT g.*, g.t + 3600000 + (g.u3 * 3 * 3600000)::bigint AS dat,
    g.t + 3600000 + (86400000 + g.u4 * 19 * 86400000::bigint)::bigint AS rat,
    g.state NOT IN ('submitted', 'accepted', 'declined', 'answered_directly', 'merged') AS dsp,
    g.state IN ('replied', 'rated', 'archived', 'rectifying', 'reopened') AS rep
    FROM gen2 g) AS x;

INSERT INTO demand_handlers (demand_id, org_id, role, category)
SELECT id, lead_org_id, 'lead', category FROM demands WHERE lead_org_id IS NOT NULL;
INSERT INTO demand_handlers (demand_id, org_id, role, category)
SELECT d.id, l.id, 'co', d.category FROM demands d
JOIN leads l ON l.city = left(d.region, 4) AND l.suffix = 'FGW'
WHERE d.lead_org_id IS NOT NULL AND d.id % 5 = 0 AND d.lead_org_id <> l.id;

-- Timeline: submit for all, dispatch for the dispatched ("lead" in data, as the flow writes
-- it), a return request by the lead's user for 2% of them, a 差评 (rate -> rectifying) for
-- the rectifying ones and 2% of the rated/archived ones (rectified since).
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state, to_state)
SELECT 'demand', id, created_at, created_by, '工作人员', '企业服务中心', 'submit', NULL, 'submitted'
FROM demands;
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state, to_state, data)
SELECT 'demand', d.id, d.dispatched_at, d.created_by, '工作人员', '企业服务中心', 'dispatch',
    'accepted', 'dispatched', json_build_object('lead', o.code, 'co', json_build_array())::text
FROM demands d JOIN orgs o ON o.id = d.lead_org_id WHERE d.dispatched_at IS NOT NULL;
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state, to_state, note)
SELECT 'demand', d.id, d.dispatched_at + 600000, 'user:u-' || o.code, '工作人员', o.name, 'return',
    'dispatched', 'return_requested', '不属于本单位职责'
FROM demands d JOIN orgs o ON o.id = d.lead_org_id
WHERE d.dispatched_at IS NOT NULL AND d.id % 50 = 7;
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state, to_state, note)
SELECT 'demand', id, replied_at + 3600000, 'user:u-' || left(region, 4) || '00-QFZX', '企业',
    '企业', 'rate', 'replied', 'rectifying', '差评'
FROM demands WHERE state = 'rectifying' OR (state IN ('rated', 'archived') AND id % 50 = 3);

SET session_replication_role = DEFAULT;
SELECT setval('demands_id_seq', (SELECT MAX(id) FROM demands));
SELECT setval('events_id_seq', (SELECT MAX(id) FROM events));
DROP TABLE gen2;
