-- Indexes for the demand read and write paths (docs/internals/bench.md):
-- * lists filtered by state scan newest first within the state: (state, id);
-- * a handler's list walks its organisation's handler rows newest first: (org_id, demand_id);
-- * demands_region and demands_lead served no query (the list keeps to the primary key
--   for a region, statistics scan by date), and each cost a page write per create;
-- * the idempotency keys are unique only where they are given: most demands have no
--   external id, and demands entered by hand no Idempotency-Key.
DROP INDEX demands_state;
CREATE INDEX demands_state ON demands(state, id);
DROP INDEX demand_handlers_org;
CREATE INDEX demand_handlers_org ON demand_handlers(org_id, demand_id);
DROP INDEX demands_region;
DROP INDEX demands_lead;
DROP INDEX demands_external;
CREATE UNIQUE INDEX demands_external ON demands(channel, external_id) WHERE external_id IS NOT NULL;
DROP INDEX demands_idem;
CREATE UNIQUE INDEX demands_idem ON demands(created_by, idem_key) WHERE idem_key IS NOT NULL;
