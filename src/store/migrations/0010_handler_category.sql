-- A handler's list filtered by category (事项分类) walked every handler row of its
-- organisation newest first and looked up each demand to compare its category: with one
-- category in five, five demand lookups per item listed. The handler rows now carry
-- their demand's category, and (org_id, category, demand_id) gives exactly the rows of
-- the page. A demand's category is set when it is submitted and never changed (no
-- action or import updates it), so the copy cannot go stale; set_handlers in
-- src/demand/demand.c copies it from the demand with each handler row it writes.
ALTER TABLE demand_handlers ADD COLUMN category TEXT;
UPDATE demand_handlers SET category = (SELECT d.category FROM demands d WHERE d.id = demand_handlers.demand_id);
CREATE INDEX demand_handlers_org_category ON demand_handlers(org_id, category, demand_id);
