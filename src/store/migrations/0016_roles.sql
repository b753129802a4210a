-- Roles as data (issue 15 item 3, docs/internals/access.md): a role is a row naming the
-- permissions it holds (space-separated names of enum access_perm, src/access/access.h),
-- and users.role refers to it instead of a CHECK list, so a new role is one INSERT
-- (`qifu role add`), never a table rebuild. 'system' is the role of API keys. The seeds'
-- created_at (0..6) orders listings: the built-in roles first, in this order.
CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    permissions TEXT NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
INSERT INTO roles (name, label, permissions, builtin, created_at) VALUES
 ('enterprise', '企业用户', 'self ent.self ent.read fact.write demand.create demand.read notice.read grant.read application.create', 1, 0),
 ('clerk', '窗口受理人员', 'self org.read ent.read ent.write ent.region fact.write demand.create demand.import demand.read demand.intake notice.read', 1, 1),
 ('handler', '承办单位人员', 'self org.read ent.read ent.region fact.write demand.read demand.handle notice.read', 1, 2),
 ('supervisor', '督查人员', 'self org.read ent.read ent.region fact.write demand.read demand.oversee demand.stats notice.read audit.read grant.read grant.stats grant.region', 1, 3),
 ('policy_officer', '政策管理人员', 'self org.read ent.read ent.region fact.write demand.read notice.read policy.write policy.issue grant.read grant.stats', 1, 4),
 ('admin', '系统管理员', 'self org.read org.write user.admin ent.read ent.write ent.import fact.write demand.import demand.read demand.stats notice.read audit.read calendar.write category.write policy.write grant.read grant.stats scope.all pii.read', 1, 5),
 ('system', '系统对接', 'demand.create', 1, 6);

-- @sqlite
-- SQLite cannot drop a CHECK: the table is rebuilt (store_migrate runs SQLite migrations
-- with foreign_keys off and checks them with foreign_key_check before committing).
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL REFERENCES roles(name),
    org_id        INTEGER REFERENCES orgs(id),
    credit_code   TEXT,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
INSERT INTO users_new SELECT id, username, display_name, role, org_id, credit_code,
       password_hash, disabled, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_org ON users(org_id);
-- @end
-- @pg
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD FOREIGN KEY (role) REFERENCES roles(name);
-- @end
