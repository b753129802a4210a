-- Cross-region dispatch partners (docs/internals/org.md): the clerks of org_id and of the
-- organisations under it may dispatch demands to partner_id and the organisations under
-- it, beyond their own prefecture. Written by `qifu org partner add|remove`.
CREATE TABLE org_partners (
    org_id      {{ID_REF}} NOT NULL REFERENCES orgs(id),
    partner_id  {{ID_REF}} NOT NULL REFERENCES orgs(id),
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (org_id, partner_id)
);
