-- The working-day calendar's administrator layer and the demand categories (issue 4).
--
-- calendar_days holds what administrators entered over the built-in State Council
-- notices (src/cal/holidays_table.c, 2007-2026): single corrections (notice_year
-- NULL) and the days of a whole year's notice (notice_year = that year, listed in
-- calendar_years, which extends coverage). calendar_version counts changes, so every
-- server notices an edit made through another one. Dates are local 'YYYY-MM-DD'.
CREATE TABLE calendar_days (
    date        TEXT PRIMARY KEY CHECK (length(date) = 10),
    off         INTEGER NOT NULL CHECK (off IN (0, 1)),
    name        TEXT,
    notice_year INTEGER,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX calendar_days_notice ON calendar_days(notice_year);

CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE calendar_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO calendar_version (id, version) VALUES (1, 0);

-- Demand categories (诉求类别): a tree; each carries, per urgency, the sign-for limit
-- in working hours and the reply and rectification limits in working days.
CREATE TABLE categories (
    code                  TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    parent_code           TEXT REFERENCES categories(code),
    kind                  TEXT NOT NULL CHECK (kind IN ('consult','help','complaint','report','suggestion','praise','topic')),
    sort                  INTEGER NOT NULL DEFAULT 0,
    active                INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    normal_sign_hours     INTEGER NOT NULL CHECK (normal_sign_hours BETWEEN 1 AND 240),
    normal_reply_days     INTEGER NOT NULL CHECK (normal_reply_days BETWEEN 1 AND 365),
    normal_rectify_days   INTEGER NOT NULL CHECK (normal_rectify_days BETWEEN 1 AND 365),
    urgent_sign_hours     INTEGER NOT NULL CHECK (urgent_sign_hours BETWEEN 1 AND 240),
    urgent_reply_days     INTEGER NOT NULL CHECK (urgent_reply_days BETWEEN 1 AND 365),
    urgent_rectify_days   INTEGER NOT NULL CHECK (urgent_rectify_days BETWEEN 1 AND 365),
    critical_sign_hours   INTEGER NOT NULL CHECK (critical_sign_hours BETWEEN 1 AND 240),
    critical_reply_days   INTEGER NOT NULL CHECK (critical_reply_days BETWEEN 1 AND 365),
    critical_rectify_days INTEGER NOT NULL CHECK (critical_rectify_days BETWEEN 1 AND 365),
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    updated_by            TEXT NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_code);

-- The dispatch catalogue (派单目录): default lead and co-handling organisations by
-- category and region prefix ('' = any region); the longest matching prefix wins.
CREATE TABLE category_routes (
    category_code  TEXT NOT NULL REFERENCES categories(code),
    region_prefix  TEXT NOT NULL,
    org_id         BIGINT NOT NULL REFERENCES orgs(id),
    role           TEXT NOT NULL CHECK (role IN ('lead','co')),
    PRIMARY KEY (category_code, region_prefix, org_id)
);
CREATE UNIQUE INDEX category_routes_lead ON category_routes(category_code, region_prefix) WHERE role = 'lead';

-- Seed: the six kinds at the top, business topics under 求助 (and 执法 under 投诉).
-- Limits per urgency: sign-for in working hours, reply and rectification in working days.
INSERT INTO categories (code, name, parent_code, kind, sort, active,
    normal_sign_hours, normal_reply_days, normal_rectify_days,
    urgent_sign_hours, urgent_reply_days, urgent_rectify_days,
    critical_sign_hours, critical_reply_days, critical_rectify_days,
    created_at, updated_at, updated_by) VALUES
('consult',     '咨询',     NULL,        'consult',    10,  1, 4, 3, 3,   2, 2, 2,  1, 1, 1,  0, 0, 'migration'),
('help',        '求助',     NULL,        'help',       20,  1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('complaint',   '投诉',     NULL,        'complaint',  30,  1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('report',      '举报',     NULL,        'report',     40,  1, 4, 10, 10, 2, 5, 5,  1, 2, 3,  0, 0, 'migration'),
('suggestion',  '建议',     NULL,        'suggestion', 50,  1, 4, 10, 10, 2, 5, 5,  1, 3, 3,  0, 0, 'migration'),
('praise',      '表扬',     NULL,        'praise',     60,  1, 4, 5, 5,   2, 3, 3,  1, 2, 2,  0, 0, 'migration'),
('financing',   '融资',     'help',      'topic',      110, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('employment',  '用工',     'help',      'topic',      120, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('land',        '用地',     'help',      'topic',      130, 1, 4, 10, 10, 2, 5, 5,  1, 2, 3,  0, 0, 'migration'),
('policy',      '政策兑现', 'help',      'topic',      140, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('approval',    '审批',     'help',      'topic',      150, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('utilities',   '水电气网', 'help',      'topic',      160, 1, 2, 3, 3,   1, 2, 2,  1, 1, 1,  0, 0, 'migration'),
('logistics',   '物流',     'help',      'topic',      170, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('ip',          '知识产权', 'help',      'topic',      180, 1, 4, 10, 10, 2, 5, 5,  1, 2, 3,  0, 0, 'migration'),
('other',       '其他',     'help',      'topic',      190, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration'),
('enforcement', '执法',     'complaint', 'topic',      310, 1, 4, 5, 5,   2, 3, 3,  1, 1, 2,  0, 0, 'migration');
UPDATE categories SET created_at = {{NOW_MS}}, updated_at = {{NOW_MS}};
