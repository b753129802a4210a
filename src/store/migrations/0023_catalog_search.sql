-- Search over the published service catalogue (issue 18 item 6, docs/internals/catalog.md
-- "Search"). One row per 实施清单 row (catalog_impls.id) with a published version, written by
-- catalog_search_reindex when a version is published or withdrawn: the list row itself
-- (denormalised, so a search reads no other table) and the texts searched. No foreign
-- keys to the catalogue tables: the index is derived data, rebuilt from them. impl_id is
-- the rowid on SQLite (the FTS5 index is keyed by it) and always given, never numbered.
CREATE TABLE catalog_search (
    impl_id       INTEGER PRIMARY KEY,
    version_id    BIGINT NOT NULL,
    impl_code     TEXT NOT NULL,
    basic_code    TEXT NOT NULL,
    name          TEXT NOT NULL,
    item_name     TEXT NOT NULL,
    type          TEXT NOT NULL,
    dept          TEXT NOT NULL,
    agency_name   TEXT NOT NULL,
    region        TEXT NOT NULL,
    life_stages   TEXT NOT NULL,
    online_depth  INTEGER,
    visits        INTEGER,
    promised_days INTEGER,
    cross_mode    TEXT,
    aliases       TEXT NOT NULL,
    short_text    TEXT NOT NULL,
    long_text     TEXT NOT NULL,
    initials      TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX catalog_search_basic_code ON catalog_search(basic_code);

-- Grams of one and two characters of the short texts (and two-letter grams of the pinyin
-- initials) for queries shorter than a trigram (刻章, 税, kb): an exact lookup on both
-- backends where FTS5 trigram and pg_trgm cannot help.
CREATE TABLE catalog_search_terms (
    term    TEXT NOT NULL,
    impl_id BIGINT NOT NULL,
    PRIMARY KEY (term, impl_id)
);
CREATE INDEX catalog_search_terms_impl ON catalog_search_terms(impl_id);

-- GB/T 4754 codes (sections, divisions, groups, classes) an item is meant for, read from
-- the `industry` conditions of its guide: an enterprise of such an industry sees it higher.
CREATE TABLE catalog_search_industry (
    impl_id BIGINT NOT NULL,
    code    TEXT NOT NULL,
    PRIMARY KEY (impl_id, code)
);

-- 一件事 bundles as the search sees them: name and aliases, and the basic codes of members.
CREATE TABLE catalog_search_bundles (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    life_stage TEXT NOT NULL,
    terms      TEXT NOT NULL,
    members    TEXT NOT NULL
);

-- Synonyms (俗称 → items): a term as people type it and the basic codes or bundle codes it
-- stands for (a JSON array of strings). Edited by the catalogue team (catalog.write).
CREATE TABLE catalog_synonyms (
    id         {{ID}},
    term       TEXT NOT NULL UNIQUE,
    targets    TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- Queries that found nothing, normalised, for the catalogue team.
CREATE TABLE catalog_search_misses (
    query      TEXT PRIMARY KEY,
    n          BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);
CREATE INDEX catalog_search_misses_recent ON catalog_search_misses(last_seen);

-- How often a service item is used: guide views and checklists, counted in memory and
-- added here in batches (catalog_usage_note).
CREATE TABLE catalog_usage (
    impl_id    BIGINT PRIMARY KEY,
    views      BIGINT NOT NULL DEFAULT 0,
    checklists BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- @sqlite
-- Full text: FTS5 with the trigram tokenizer (3+ characters; shorter queries use the grams).
CREATE VIRTUAL TABLE catalog_search_fts USING fts5(short_text, initials, long_text,
    content='catalog_search', content_rowid='impl_id', tokenize='trigram');
CREATE TRIGGER catalog_search_fts_ins AFTER INSERT ON catalog_search BEGIN
    INSERT INTO catalog_search_fts(rowid, short_text, initials, long_text)
        VALUES (new.impl_id, new.short_text, new.initials, new.long_text);
END;
CREATE TRIGGER catalog_search_fts_del AFTER DELETE ON catalog_search BEGIN
    INSERT INTO catalog_search_fts(catalog_search_fts, rowid, short_text, initials, long_text)
        VALUES ('delete', old.impl_id, old.short_text, old.initials, old.long_text);
END;
CREATE TRIGGER catalog_search_fts_upd AFTER UPDATE ON catalog_search BEGIN
    INSERT INTO catalog_search_fts(catalog_search_fts, rowid, short_text, initials, long_text)
        VALUES ('delete', old.impl_id, old.short_text, old.initials, old.long_text);
    INSERT INTO catalog_search_fts(rowid, short_text, initials, long_text)
        VALUES (new.impl_id, new.short_text, new.initials, new.long_text);
END;
-- @end
-- @pg
-- Full text: pg_trgm over all texts (searched with ILIKE) and over the short texts (the
-- typo-tolerant search); the same expressions as store_search_sql is given.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX catalog_search_all_trgm ON catalog_search
    USING gin ((short_text || ' ' || initials || ' ' || long_text) gin_trgm_ops);
CREATE INDEX catalog_search_short_trgm ON catalog_search USING gin (short_text gin_trgm_ops);
-- @end
