-- Policies (惠企政策超市, issue 5): the whole policy schema, shared by src/policy (policies,
-- versions, named conditions, search, matching) and the grant side (免申即享 runs, grants,
-- 即申即享/申报审批 applications). Times are BIGINT ms UTC; dates 'YYYY-MM-DD' local;
-- money BIGINT fen; JSON columns are TEXT holding a JSON document.
--
-- policies          one row per policy. Its descriptive columns (title ... tags) are those of
--                   the version in force: the published version, or the draft while the policy
--                   was never published; list and search read only this table. state:
--                   draft (never published) → published → withdrawn | expired. version = the
--                   newest version number (a draft when > published_version); published_version
--                   = the version in force (NULL before the first publication). org_id is the
--                   issuing organisation: only its policy officers (and admins) edit it.
-- policy_regions    the region scope of the version in force: GB/T 2260 prefixes ("34", "3402",
--                   "340202"); a policy applies to an enterprise whose region starts with one.
-- policy_tags       the topic tags of the version in force (科技创新, 人才, 金融 ...), for filters.
-- policy_versions   every version of a policy. meta = the descriptive document (title, doc_no,
--                   summary, delivery, region_scope, valid_from/to, contact, materials, category,
--                   tags, articles); rules = the rule document of docs/internals/rules.md. A draft
--                   version is edited in place; once published_at is set the row is never
--                   changed again (a grant or application records the version it was decided
--                   under). state: draft | published (in force) | superseded | withdrawn.
-- named_conditions  reusable condition nodes ({"ref": name}); version counts edits.
-- policy_set_version one row: bumped in the transaction of every publish, withdraw, expiry or
--                   named-condition change, so each server rebuilds its in-memory compiled set
--                   of published policies when another process changed it.
-- policy_runs       免申即享 runs: policy_id NULL = all published 免申即享 policies. state queued
--                   → running → done | failed; total/done count enterprises for progress;
--                   summary JSON (counts, total amount, by region) when done.
-- grants            兑现 records: one per (policy, enterprise, period). period is '' for a
--                   one-off award and e.g. '2026' for an annual measure, so re-running a policy
--                   creates no duplicate. run_id (免申即享) or application_id (即申即享/申报审批)
--                   says where it came from; policy_version the version it was decided under.
--                   state matched → notified → confirmed (意愿确认) | declined → paid (拨付:
--                   paid_amount_fen, paid_on, paid_by).
-- applications      即申即享/申报审批 applications of an enterprise: form = pre-filled facts plus
--                   the values the enterprise typed; outcome = the evaluation snapshot (outcome,
--                   explanation, amount) at submission. state submitted → approved (auto = 1 when
--                   approved at once on authoritative facts) | rejected | more_info → submitted
--                   ...; withdrawn by the enterprise. org_id = the issuing department's queue.
--                   At most one open (submitted/more_info) application per policy, enterprise
--                   and period.
-- policy_events     timeline of grants and applications (entity 'grant' | 'application').
CREATE TABLE policies (
    id                 {{ID}},
    state              TEXT NOT NULL CHECK (state IN ('draft','published','withdrawn','expired')),
    org_id             BIGINT NOT NULL REFERENCES orgs(id),
    title              TEXT NOT NULL,
    doc_no             TEXT NOT NULL DEFAULT '',
    summary            TEXT NOT NULL DEFAULT '',
    delivery           TEXT NOT NULL CHECK (delivery IN ('mian_shen','ji_shen','shen_bao')),
    category           TEXT NOT NULL DEFAULT '',
    valid_from         TEXT,
    valid_to           TEXT,
    contact            TEXT NOT NULL DEFAULT '{}',
    materials          TEXT NOT NULL DEFAULT '[]',
    version            INTEGER NOT NULL DEFAULT 1,
    published_version  INTEGER,
    published_at       BIGINT,
    withdrawn_at       BIGINT,
    created_by         TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX policies_state ON policies(state, id);
CREATE INDEX policies_org ON policies(org_id, id);
CREATE INDEX policies_delivery ON policies(delivery, id);

CREATE TABLE policy_regions (
    policy_id  BIGINT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    prefix     TEXT NOT NULL,
    PRIMARY KEY (policy_id, prefix)
);
CREATE INDEX policy_regions_prefix ON policy_regions(prefix);

CREATE TABLE policy_tags (
    policy_id  BIGINT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    PRIMARY KEY (policy_id, tag)
);
CREATE INDEX policy_tags_tag ON policy_tags(tag);

CREATE TABLE policy_versions (
    policy_id     BIGINT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('draft','published','superseded','withdrawn')),
    meta          TEXT NOT NULL,
    rules         TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    published_by  TEXT,
    published_at  BIGINT,
    PRIMARY KEY (policy_id, version)
);

CREATE TABLE named_conditions (
    name        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    node        TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE policy_set_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO policy_set_version (id, version) VALUES (1, 0);

CREATE TABLE policy_runs (
    id           {{ID}},
    policy_id    BIGINT REFERENCES policies(id),
    state        TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),
    total        BIGINT NOT NULL DEFAULT 0,
    done         BIGINT NOT NULL DEFAULT 0,
    matched      BIGINT NOT NULL DEFAULT 0,
    amount_fen   BIGINT NOT NULL DEFAULT 0,
    summary      TEXT,
    error        TEXT,
    started_by   TEXT NOT NULL,
    org_id       BIGINT REFERENCES orgs(id),
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    finished_at  BIGINT
);
CREATE INDEX policy_runs_policy ON policy_runs(policy_id, id);
CREATE INDEX policy_runs_state ON policy_runs(state);

CREATE TABLE applications (
    id              {{ID}},
    policy_id       BIGINT NOT NULL REFERENCES policies(id),
    policy_version  INTEGER NOT NULL,
    credit_code     TEXT NOT NULL REFERENCES enterprises(credit_code),
    org_id          BIGINT NOT NULL REFERENCES orgs(id),
    period          TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('submitted','approved','rejected','more_info','withdrawn')),
    auto            INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1)),
    form            TEXT NOT NULL DEFAULT '{}',
    outcome         TEXT,
    amount_fen      BIGINT,
    reviewer        TEXT,
    reason          TEXT,
    idem_key        TEXT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    submitted_at    BIGINT,
    decided_at      BIGINT,
    updated_at      BIGINT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX applications_enterprise ON applications(credit_code, id);
CREATE INDEX applications_queue ON applications(org_id, state, id);
CREATE INDEX applications_policy ON applications(policy_id, state);
CREATE UNIQUE INDEX applications_open ON applications(policy_id, credit_code, period)
    WHERE state IN ('submitted','more_info');
CREATE UNIQUE INDEX applications_idem ON applications(created_by, idem_key);

CREATE TABLE grants (
    id               {{ID}},
    policy_id        BIGINT NOT NULL REFERENCES policies(id),
    policy_version   INTEGER NOT NULL,
    credit_code      TEXT NOT NULL REFERENCES enterprises(credit_code),
    period           TEXT NOT NULL DEFAULT '',
    region           TEXT NOT NULL,
    org_id           BIGINT NOT NULL REFERENCES orgs(id),
    run_id           BIGINT REFERENCES policy_runs(id),
    application_id   BIGINT REFERENCES applications(id),
    amount_fen       BIGINT,
    state            TEXT NOT NULL CHECK (state IN ('matched','notified','confirmed','declined','paid')),
    paid_amount_fen  BIGINT,
    paid_on          TEXT,
    paid_by          TEXT,
    reason           TEXT,
    created_at       BIGINT NOT NULL,
    notified_at      BIGINT,
    confirmed_at     BIGINT,
    paid_at          BIGINT,
    updated_at       BIGINT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (policy_id, credit_code, period)
);
CREATE INDEX grants_enterprise ON grants(credit_code, id);
CREATE INDEX grants_policy ON grants(policy_id, state);
CREATE INDEX grants_org ON grants(org_id, state);
CREATE INDEX grants_run ON grants(run_id);

CREATE TABLE policy_events (
    id          {{ID}},
    entity      TEXT NOT NULL CHECK (entity IN ('grant','application')),
    entity_id   BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    org         TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    note        TEXT,
    data        TEXT
);
CREATE INDEX policy_events_entity ON policy_events(entity, entity_id, id);

-- @sqlite
-- Chinese full-text search over title, summary and 文号: FTS5 trigram (3+ characters;
-- shorter queries fall back to LIKE). Policies are few, so triggers keep it in step.
CREATE VIRTUAL TABLE policies_fts USING fts5(title, summary, doc_no, content='policies',
                                             content_rowid='id', tokenize='trigram');
CREATE TRIGGER policies_fts_ins AFTER INSERT ON policies BEGIN
    INSERT INTO policies_fts(rowid, title, summary, doc_no) VALUES (new.id, new.title, new.summary, new.doc_no);
END;
CREATE TRIGGER policies_fts_del AFTER DELETE ON policies BEGIN
    INSERT INTO policies_fts(policies_fts, rowid, title, summary, doc_no)
        VALUES ('delete', old.id, old.title, old.summary, old.doc_no);
END;
CREATE TRIGGER policies_fts_upd AFTER UPDATE OF title, summary, doc_no ON policies BEGIN
    INSERT INTO policies_fts(policies_fts, rowid, title, summary, doc_no)
        VALUES ('delete', old.id, old.title, old.summary, old.doc_no);
    INSERT INTO policies_fts(rowid, title, summary, doc_no) VALUES (new.id, new.title, new.summary, new.doc_no);
END;
-- @end
-- @pg
-- Chinese full-text search over title, summary and 文号: a pg_trgm index on the
-- concatenation (searched with ILIKE, as the enterprise name search of 0002).
CREATE INDEX policies_text_trgm ON policies
    USING gin ((title || ' ' || summary || ' ' || doc_no) gin_trgm_ops);
-- @end
