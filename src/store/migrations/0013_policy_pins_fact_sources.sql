-- Hardening (issue 14, items 3 and 9).
--
-- Item 3: a named condition belongs to an organisation (org_id: the creator's; NULL = made by
-- the CLI or before this migration, editable by admins only). Every edit is kept as a row of
-- named_condition_versions (name, version) so that a published policy version can pin the
-- versions it was published with: policy_versions.cond_pins is a JSON object {name: version}
-- of the named conditions the version's rules reach (NULL for drafts, which use the current
-- ones). Versions published before this migration pin every condition as it is now.
--
-- Item 9: each catalogued fact names its source department (facts.source_org, an organisation
-- code; '' = none): only users of that organisation (and admins' imports) record authoritative
-- values of it. The codes are those of the demo (`qifu demo`); a deployment sets its own.
ALTER TABLE named_conditions ADD COLUMN org_id BIGINT REFERENCES orgs(id);
CREATE TABLE named_condition_versions (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    label       TEXT NOT NULL,
    node        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);
INSERT INTO named_condition_versions (name, version, label, node, created_by, created_at)
    SELECT name, version, label, node, updated_by, updated_at FROM named_conditions;
ALTER TABLE policy_versions ADD COLUMN cond_pins TEXT;
-- @sqlite
UPDATE policy_versions SET cond_pins = (SELECT json_group_object(name, version) FROM named_conditions)
    WHERE published_at IS NOT NULL;
-- @end
-- @pg
UPDATE policy_versions SET cond_pins = (SELECT COALESCE(json_object_agg(name, version)::text, '{}') FROM named_conditions)
    WHERE published_at IS NOT NULL;
-- @end
ALTER TABLE facts ADD COLUMN source_org TEXT NOT NULL DEFAULT '';
UPDATE facts SET source_org = '340800-SCJGJ' WHERE name IN ('region', 'industry', 'founded', 'registered_capital', 'invention_patents', 'major_violation');
UPDATE facts SET source_org = '340800-TJJ' WHERE name IN ('scale', 'revenue_growth', 'total_assets', 'industrial_output');
UPDATE facts SET source_org = '340800-KJJ' WHERE name IN ('tags', 'rd_ratio', 'high_tech_certified_on');
UPDATE facts SET source_org = '340800-RSJ' WHERE name IN ('employees', 'insured_employees', 'new_graduates_hired', 'layoff_rate');
UPDATE facts SET source_org = '340800-SWJG' WHERE name IN ('revenue', 'rd_expense', 'tax_paid', 'tax_credit_rating');
UPDATE facts SET source_org = '340800-FGW' WHERE name = 'equipment_investment';
UPDATE facts SET source_org = '340800-JRJ' WHERE name = 'loan_interest';
UPDATE facts SET source_org = '340800-SWUJ' WHERE name = 'export_value';
UPDATE facts SET source_org = '340800-ZJFY' WHERE name = 'dishonest_executee';
UPDATE facts SET source_org = '340800-STHJJ' WHERE name = 'env_penalty';
