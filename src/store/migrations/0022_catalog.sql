-- 办事指南 service catalogue (issue 18, docs/internals/catalog.md): the national item model
-- 事项 (catalog_items) → 子项 (catalog_subitems) → 业务办理项 (catalog_tasks) → 实施清单 row
-- per 实施主体 × region (catalog_impls) → versions of its guide (catalog_versions, a src/flow
-- table: draft → review → published → superseded | withdrawn), and 一件事 bundles. JSON
-- documents are kept as text (basis, aliases, life_stages, the GUIDE, the lint findings),
-- validated by src/catalog before they are written. Dates (effective_from/to) are day
-- numbers since 1970-01-01; times are ms.
CREATE TABLE catalog_items (
    id             {{ID}},
    basic_code     TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    competent_dept TEXT NOT NULL,
    basis          TEXT NOT NULL,
    aliases        TEXT NOT NULL,
    life_stages    TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE TABLE catalog_subitems (
    id      {{ID}},
    item_id BIGINT NOT NULL REFERENCES catalog_items(id),
    code    TEXT NOT NULL,
    name    TEXT NOT NULL,
    UNIQUE (item_id, code)
);
CREATE TABLE catalog_tasks (
    id         {{ID}},
    subitem_id BIGINT NOT NULL REFERENCES catalog_subitems(id),
    kind       TEXT NOT NULL,
    seq        TEXT NOT NULL,
    name       TEXT NOT NULL,
    UNIQUE (subitem_id, kind, seq)
);
CREATE TABLE catalog_impls (
    id                   {{ID}},
    task_id              BIGINT NOT NULL REFERENCES catalog_tasks(id),
    impl_code            TEXT NOT NULL UNIQUE,
    region               TEXT NOT NULL,
    agency_name          TEXT NOT NULL,
    agency_uscc          TEXT NOT NULL,
    org_id               {{ID_REF}} REFERENCES orgs(id),
    published_version_id BIGINT
);
CREATE INDEX catalog_impls_task ON catalog_impls(task_id);
CREATE TABLE catalog_versions (
    id             {{ID}},
    impl_id        BIGINT NOT NULL REFERENCES catalog_impls(id),
    version        INTEGER NOT NULL,
    state          TEXT NOT NULL DEFAULT 'draft',
    effective_from BIGINT,
    effective_to   BIGINT,
    doc            TEXT NOT NULL,
    lint           TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    published_at   BIGINT,
    row_version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (impl_id, version)
);
CREATE INDEX catalog_versions_state ON catalog_versions(state, impl_id);
CREATE TABLE catalog_bundles (
    id         {{ID}},
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    life_stage TEXT NOT NULL,
    doc        TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'draft',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The permissions (src/access ACCESS_PERM_MAP): the administrator gets both, and the
-- built-in role catalog (事项目录管理员) writes and reviews the catalogue.
UPDATE roles SET permissions = permissions || ' catalog.write catalog.review' WHERE name = 'admin';
INSERT INTO roles (name, label, permissions, builtin, created_at) VALUES
 ('catalog', '事项目录管理员', 'self org.read notice.read catalog.write catalog.review', 1, 7);
