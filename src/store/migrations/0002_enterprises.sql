-- Enterprise registry (一企一档), qualification tags, assigned officials (包保), the fact
-- catalogue and enterprise facts with history.
CREATE TABLE tags (
    code   TEXT PRIMARY KEY,
    label  TEXT NOT NULL,
    sort   INTEGER NOT NULL
);
INSERT INTO tags (code, label, sort) VALUES
    ('high_tech', '高新技术企业', 10),
    ('tech_sme', '科技型中小企业', 20),
    ('innovative_sme', '创新型中小企业', 30),
    ('srdi_city', '专精特新中小企业（市级）', 40),
    ('srdi_province', '专精特新中小企业（省级）', 50),
    ('little_giant', '国家级专精特新“小巨人”企业', 60),
    ('above_scale_industry', '规模以上工业企业', 70),
    ('above_scale_service', '规模以上服务业企业', 80),
    ('gazelle', '瞪羚企业', 90),
    ('listed', '上市企业', 100),
    ('foreign_funded', '外商投资企业', 110),
    ('state_owned', '国有企业', 120),
    ('private', '民营企业', 130);

CREATE TABLE enterprises (
    credit_code  TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    region       TEXT NOT NULL,
    industry     TEXT,
    founded      TEXT,
    capital_fen  BIGINT,
    scale        TEXT CHECK (scale IN ('large','medium','small','micro')),
    legal_rep    TEXT,
    address      TEXT,
    contacts     TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX enterprises_region ON enterprises(region);
CREATE INDEX enterprises_industry ON enterprises(industry);

CREATE TABLE enterprise_tags (
    credit_code TEXT NOT NULL REFERENCES enterprises(credit_code) ON DELETE CASCADE,
    tag         TEXT NOT NULL REFERENCES tags(code),
    PRIMARY KEY (credit_code, tag)
);
CREATE INDEX enterprise_tags_tag ON enterprise_tags(tag);

CREATE TABLE enterprise_officials (
    credit_code TEXT NOT NULL REFERENCES enterprises(credit_code) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (credit_code, user_id)
);
CREATE INDEX enterprise_officials_user ON enterprise_officials(user_id);

-- The fact catalogue: every fact a policy may refer to. builtin facts are read from the
-- enterprise record itself (region, industry, founded, ...), the others from enterprise_facts.
CREATE TABLE facts (
    name        TEXT PRIMARY KEY,
    type        TEXT NOT NULL CHECK (type IN ('int','money','decimal','date','code','bool','tagset')),
    unit        TEXT NOT NULL DEFAULT '',
    label       TEXT NOT NULL,
    source      TEXT NOT NULL,
    code_values TEXT NOT NULL DEFAULT '',
    builtin     INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT ''
);
INSERT INTO facts (name, type, unit, label, source, code_values, builtin, description) VALUES
    ('region', 'code', '', '注册地行政区划', '市场监管部门', '', 1, 'GB/T 2260 县级代码'),
    ('industry', 'code', '', '国民经济行业', '市场监管部门', '', 1, 'GB/T 4754-2017 小类代码'),
    ('founded', 'date', '', '成立日期', '市场监管部门', '', 1, ''),
    ('registered_capital', 'money', '元', '注册资本', '市场监管部门', '', 1, '以分存储'),
    ('scale', 'code', '', '企业规模', '统计部门', 'large,medium,small,micro', 1, '大型/中型/小型/微型'),
    ('tags', 'tagset', '', '资质标签', '科技、经信部门', '', 1, '高新技术企业、专精特新等'),
    ('employees', 'int', '人', '从业人员数', '人力资源和社会保障部门', '', 0, '年末从业人员'),
    ('insured_employees', 'int', '人', '参保职工人数', '人力资源和社会保障部门', '', 0, '失业保险参保人数'),
    ('new_graduates_hired', 'int', '人', '当年新招用高校毕业生人数', '人力资源和社会保障部门', '', 0, ''),
    ('layoff_rate', 'decimal', '%', '上年度裁员率', '人力资源和社会保障部门', '', 0, ''),
    ('revenue', 'money', '元', '营业收入', '税务部门', '', 0, '上一会计年度'),
    ('revenue_growth', 'decimal', '%', '营业收入增长率', '统计部门', '', 0, ''),
    ('rd_expense', 'money', '元', '研发费用', '税务部门', '', 0, '加计扣除口径'),
    ('rd_ratio', 'decimal', '%', '研发费用占营业收入比例', '科技部门', '', 0, ''),
    ('tax_paid', 'money', '元', '纳税总额', '税务部门', '', 0, ''),
    ('total_assets', 'money', '元', '资产总额', '统计部门', '', 0, ''),
    ('industrial_output', 'money', '元', '工业总产值', '统计部门', '', 0, ''),
    ('equipment_investment', 'money', '元', '设备投资额', '发展改革部门', '', 0, '当年新购置生产设备'),
    ('loan_interest', 'money', '元', '贷款利息支出', '金融监管部门', '', 0, '当年实际支付'),
    ('export_value', 'money', '元', '出口额', '商务部门', '', 0, ''),
    ('invention_patents', 'int', '件', '有效发明专利数', '市场监管部门', '', 0, ''),
    ('tax_credit_rating', 'code', '', '纳税信用等级', '税务部门', 'A,B,M,C,D', 0, ''),
    ('dishonest_executee', 'bool', '', '失信被执行人', '人民法院', '', 0, ''),
    ('major_violation', 'bool', '', '近三年重大违法违规记录', '市场监管部门', '', 0, ''),
    ('env_penalty', 'bool', '', '近一年环保行政处罚', '生态环境部门', '', 0, ''),
    ('high_tech_certified_on', 'date', '', '高新技术企业认定日期', '科技部门', '', 0, '');

CREATE TABLE enterprise_facts (
    id           {{ID}},
    credit_code  TEXT NOT NULL REFERENCES enterprises(credit_code) ON DELETE CASCADE,
    fact         TEXT NOT NULL REFERENCES facts(name),
    value        TEXT NOT NULL,
    as_of        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('authoritative','self_declared')),
    source       TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    recorded_by  TEXT NOT NULL
);
CREATE INDEX enterprise_facts_lookup ON enterprise_facts(credit_code, fact, as_of, id);

-- @sqlite
-- Chinese name search: FTS5 with the trigram tokenizer (substring match for 3+ characters).
CREATE VIRTUAL TABLE enterprises_fts USING fts5(name, content='enterprises', content_rowid='rowid',
                                                tokenize='trigram');
-- Inserts are indexed by the application (ent_save_in_txn, or one INSERT ... SELECT
-- at the end of a bulk import, which is ten times cheaper than a trigger per row).
CREATE TRIGGER enterprises_fts_del AFTER DELETE ON enterprises BEGIN
    INSERT INTO enterprises_fts(enterprises_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
CREATE TRIGGER enterprises_fts_upd AFTER UPDATE OF name ON enterprises BEGIN
    INSERT INTO enterprises_fts(enterprises_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO enterprises_fts(rowid, name) VALUES (new.rowid, new.name);
END;
-- @end
-- @pg
-- Chinese name search: pg_trgm (a trusted extension, so the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX enterprises_name_trgm ON enterprises USING gin (name gin_trgm_ops);
-- @end
