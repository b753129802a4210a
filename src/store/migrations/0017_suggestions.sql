-- suggestions: 企业意见建议, filed by an enterprise and handled by the clerks of its
-- region (the toy resource of docs/internals/adding-a-domain.md). Its timeline and
-- notices are the shared events and notices tables, keyed ('suggestion', id).
CREATE TABLE suggestions (
    id          {{ID}},
    credit_code TEXT NOT NULL REFERENCES enterprises(credit_code),
    region      TEXT NOT NULL,
    title       TEXT NOT NULL,
    content     TEXT NOT NULL,
    answer      TEXT,
    state       TEXT NOT NULL DEFAULT 'submitted',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX suggestions_region ON suggestions(region, id);
CREATE INDEX suggestions_credit ON suggestions(credit_code, id);
