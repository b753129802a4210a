-- Counts behind the supervisor statistics (demand_stats.c), so that a city's figures for a
-- year are read from a few thousand rows instead of a scan of every demand of the period
-- and its timeline (issue 16 item 6: a city's statistics over 5,000,000 demands in
-- <= 200 ms). Triggers keep them in the transaction of every change of a demand or of its
-- timeline, whatever writes it (the flow, imports, merges, the sweep, SQL); the rows below
-- are the backfill. Definitions: docs/internals/demand.md ("Statistics").
--
-- demand_counts: the cohort (demands last dispatched in the period, per current lead),
-- one row per (level, demand region, lead organisation, local date of the last dispatch, local
-- date of the last reply or 0 when none). A demand counts while it has been dispatched, has
-- a lead and is not merged; its figures are n (1), signed on time, replied on time, rated,
-- satisfied, bad (ever rated 1-2: a rate event to rectifying) and bad rectified (bad, and
-- rated 3+ since or archived). The reply date is kept so that the handling days can be
-- counted with the current working-day calendar when the figures are read. Local dates
-- are Beijing's (UTC+8, no summer time): (ms + 28800000) / 86400000. Each contribution is
-- kept twice: level 1 under the city (the region's first 4 digits), which a city's or the
-- province's statistics read (a city's year is ~45,000 rows at 5,000,000 demands, against
-- ~215,000 per county region), and level 2 under the region itself, for narrower scopes.
--
-- demand_event_counts: per (demand region, organisation, local date of the event): dispatch
-- events by the lead they name (received) and return events by the organisation of the user
-- who asked (returned).
CREATE TABLE demand_counts (
    level           INTEGER NOT NULL,
    region          TEXT NOT NULL,
    org_id          BIGINT NOT NULL,
    day             INTEGER NOT NULL,
    reply_day       INTEGER NOT NULL,
    n               INTEGER NOT NULL DEFAULT 0,
    signed_on_time  INTEGER NOT NULL DEFAULT 0,
    replied_on_time INTEGER NOT NULL DEFAULT 0,
    rated           INTEGER NOT NULL DEFAULT 0,
    satisfied       INTEGER NOT NULL DEFAULT 0,
    bad             INTEGER NOT NULL DEFAULT 0,
    bad_rectified   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (level, region, org_id, day, reply_day)
);
CREATE TABLE demand_event_counts (
    region   TEXT NOT NULL,
    org_id   BIGINT NOT NULL,
    day      INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    returned INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region, org_id, day)
);
-- The overdue figure depends on the moment of the query: it is counted from the demands
-- whose running deadline can pass (the list is scan_overdue's, demand_stats.c).
CREATE INDEX demands_running ON demands(region, dispatched_at, lead_org_id, state, prev_state,
                                         sign_due, reply_due, rectify_due, merged_into)
    WHERE state IN ('dispatched', 'signed', 'reopened', 'rectifying', 'return_requested', 'extension_requested');

-- backfill:begin (bench/scale_volume.sh runs these statements after its bulk load)
DELETE FROM demand_counts;
DELETE FROM demand_event_counts;
INSERT INTO demand_counts (level, region, org_id, day, reply_day, n, signed_on_time,
                           replied_on_time, rated, satisfied, bad, bad_rectified)
SELECT lv.level, CASE WHEN lv.level = 1 THEN substr(d.region, 1, 4) ELSE d.region END, d.lead_org_id, (d.dispatched_at + 28800000) / 86400000,
       CASE WHEN COALESCE(d.replied_at, 0) <> 0 THEN (d.replied_at + 28800000) / 86400000 ELSE 0 END,
       COUNT(*),
       SUM(CASE WHEN COALESCE(d.signed_at, 0) <> 0 AND COALESCE(d.sign_due, 0) <> 0
                 AND d.signed_at <= d.sign_due THEN 1 ELSE 0 END),
       SUM(CASE WHEN COALESCE(d.replied_at, 0) <> 0 AND COALESCE(d.reply_due, 0) <> 0
                 AND d.replied_at <= d.reply_due THEN 1 ELSE 0 END),
       SUM(CASE WHEN COALESCE(d.rating, 0) <> 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN COALESCE(d.rating, 0) >= 4 THEN 1 ELSE 0 END),
       SUM(CASE WHEN b.entity_id IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN b.entity_id IS NOT NULL AND (COALESCE(d.rating, 0) >= 3 OR d.state = 'archived')
                THEN 1 ELSE 0 END)
FROM demands d
CROSS JOIN (SELECT 1 AS level UNION ALL SELECT 2) lv
LEFT JOIN (SELECT DISTINCT entity_id FROM events
           WHERE entity = 'demand' AND action = 'rate' AND to_state = 'rectifying') b
       ON b.entity_id = d.id
WHERE d.dispatched_at IS NOT NULL AND d.lead_org_id IS NOT NULL AND d.merged_into IS NULL
GROUP BY lv.level, CASE WHEN lv.level = 1 THEN substr(d.region, 1, 4) ELSE d.region END,
         d.lead_org_id, (d.dispatched_at + 28800000) / 86400000,
         CASE WHEN COALESCE(d.replied_at, 0) <> 0 THEN (d.replied_at + 28800000) / 86400000 ELSE 0 END;
-- @sqlite
INSERT INTO demand_event_counts (region, org_id, day, received, returned)
SELECT x.region, x.org_id, x.day, SUM(x.received), SUM(x.returned)
FROM (SELECT d.region, o.id AS org_id, (ev.at + 28800000) / 86400000 AS day, 1 AS received,
             0 AS returned
      FROM events ev JOIN demands d ON d.id = ev.entity_id
      JOIN orgs o ON o.code = json_extract(ev.data, '$.lead')
      WHERE ev.entity = 'demand' AND ev.action = 'dispatch'
      UNION ALL
      SELECT d.region, o.id, (ev.at + 28800000) / 86400000, 0, 1
      FROM events ev JOIN demands d ON d.id = ev.entity_id
      JOIN users u ON ev.actor = 'user:' || u.username JOIN orgs o ON o.id = u.org_id
      WHERE ev.entity = 'demand' AND ev.action = 'return') x
GROUP BY x.region, x.org_id, x.day;
-- @end
-- @pg
INSERT INTO demand_event_counts (region, org_id, day, received, returned)
SELECT x.region, x.org_id, x.day, SUM(x.received), SUM(x.returned)
FROM (SELECT d.region, o.id AS org_id, (ev.at + 28800000) / 86400000 AS day, 1 AS received,
             0 AS returned
      FROM events ev JOIN demands d ON d.id = ev.entity_id
      JOIN orgs o ON o.code = (ev.data::json ->> 'lead')
      WHERE ev.entity = 'demand' AND ev.action = 'dispatch'
      UNION ALL
      SELECT d.region, o.id, (ev.at + 28800000) / 86400000, 0, 1
      FROM events ev JOIN demands d ON d.id = ev.entity_id
      JOIN users u ON ev.actor = 'user:' || u.username JOIN orgs o ON o.id = u.org_id
      WHERE ev.entity = 'demand' AND ev.action = 'return') x
GROUP BY x.region, x.org_id, x.day;
-- @end
-- backfill:end

-- @sqlite
-- A demand's contribution is added for NEW and taken back for OLD; an update that changes
-- none of the columns the figures read (the sweep's overdue_noticed, a note's version
-- bump...) skips both.
CREATE TRIGGER demands_counts_insert AFTER INSERT ON demands
WHEN NEW.dispatched_at IS NOT NULL AND NEW.lead_org_id IS NOT NULL AND NEW.merged_into IS NULL
BEGIN
    INSERT INTO demand_counts (level, region, org_id, day, reply_day, n, signed_on_time,
                               replied_on_time, rated, satisfied, bad, bad_rectified)
    SELECT lv.level, CASE WHEN lv.level = 1 THEN substr(NEW.region, 1, 4) ELSE NEW.region END,
           NEW.lead_org_id, (NEW.dispatched_at + 28800000) / 86400000,
           CASE WHEN COALESCE(NEW.replied_at, 0) <> 0 THEN (NEW.replied_at + 28800000) / 86400000 ELSE 0 END,
           1,
           COALESCE(NEW.signed_at, 0) <> 0 AND COALESCE(NEW.sign_due, 0) <> 0 AND NEW.signed_at <= NEW.sign_due,
           COALESCE(NEW.replied_at, 0) <> 0 AND COALESCE(NEW.reply_due, 0) <> 0 AND NEW.replied_at <= NEW.reply_due,
           COALESCE(NEW.rating, 0) <> 0, COALESCE(NEW.rating, 0) >= 4, b.is_bad,
           b.is_bad AND (COALESCE(NEW.rating, 0) >= 3 OR NEW.state = 'archived')
    FROM (SELECT EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = NEW.id
                         AND action = 'rate' AND to_state = 'rectifying') AS is_bad) b,
         (SELECT 1 AS level UNION ALL SELECT 2) lv
    WHERE true
    ON CONFLICT (level, region, org_id, day, reply_day) DO UPDATE SET
        n = n + excluded.n, signed_on_time = signed_on_time + excluded.signed_on_time,
        replied_on_time = replied_on_time + excluded.replied_on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
        bad = bad + excluded.bad, bad_rectified = bad_rectified + excluded.bad_rectified;
END;
CREATE TRIGGER demands_counts_delete AFTER DELETE ON demands
WHEN OLD.dispatched_at IS NOT NULL AND OLD.lead_org_id IS NOT NULL AND OLD.merged_into IS NULL
BEGIN
    UPDATE demand_counts SET n = n - 1,
        signed_on_time = signed_on_time - (COALESCE(OLD.signed_at, 0) <> 0 AND COALESCE(OLD.sign_due, 0) <> 0 AND OLD.signed_at <= OLD.sign_due),
        replied_on_time = replied_on_time - (COALESCE(OLD.replied_at, 0) <> 0 AND COALESCE(OLD.reply_due, 0) <> 0 AND OLD.replied_at <= OLD.reply_due),
        rated = rated - (COALESCE(OLD.rating, 0) <> 0), satisfied = satisfied - (COALESCE(OLD.rating, 0) >= 4),
        bad = bad - b.is_bad, bad_rectified = bad_rectified - (b.is_bad AND (COALESCE(OLD.rating, 0) >= 3 OR OLD.state = 'archived'))
    FROM (SELECT EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = OLD.id
                         AND action = 'rate' AND to_state = 'rectifying') AS is_bad) b
    WHERE ((level = 1 AND region = substr(OLD.region, 1, 4)) OR (level = 2 AND region = OLD.region))
      AND org_id = OLD.lead_org_id
      AND day = (OLD.dispatched_at + 28800000) / 86400000
      AND reply_day = CASE WHEN COALESCE(OLD.replied_at, 0) <> 0 THEN (OLD.replied_at + 28800000) / 86400000 ELSE 0 END;
END;
CREATE TRIGGER demands_counts_update AFTER UPDATE ON demands
WHEN OLD.region IS NOT NEW.region OR OLD.lead_org_id IS NOT NEW.lead_org_id
  OR OLD.dispatched_at IS NOT NEW.dispatched_at OR OLD.replied_at IS NOT NEW.replied_at
  OR OLD.signed_at IS NOT NEW.signed_at OR OLD.sign_due IS NOT NEW.sign_due
  OR OLD.reply_due IS NOT NEW.reply_due OR OLD.rating IS NOT NEW.rating
  OR OLD.merged_into IS NOT NEW.merged_into OR OLD.state IS NOT NEW.state
BEGIN
    UPDATE demand_counts SET n = n - 1,
        signed_on_time = signed_on_time - (COALESCE(OLD.signed_at, 0) <> 0 AND COALESCE(OLD.sign_due, 0) <> 0 AND OLD.signed_at <= OLD.sign_due),
        replied_on_time = replied_on_time - (COALESCE(OLD.replied_at, 0) <> 0 AND COALESCE(OLD.reply_due, 0) <> 0 AND OLD.replied_at <= OLD.reply_due),
        rated = rated - (COALESCE(OLD.rating, 0) <> 0), satisfied = satisfied - (COALESCE(OLD.rating, 0) >= 4),
        bad = bad - b.is_bad, bad_rectified = bad_rectified - (b.is_bad AND (COALESCE(OLD.rating, 0) >= 3 OR OLD.state = 'archived'))
    FROM (SELECT EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = OLD.id
                         AND action = 'rate' AND to_state = 'rectifying') AS is_bad) b
    WHERE OLD.dispatched_at IS NOT NULL AND OLD.lead_org_id IS NOT NULL AND OLD.merged_into IS NULL
      AND ((level = 1 AND region = substr(OLD.region, 1, 4)) OR (level = 2 AND region = OLD.region))
      AND org_id = OLD.lead_org_id
      AND day = (OLD.dispatched_at + 28800000) / 86400000
      AND reply_day = CASE WHEN COALESCE(OLD.replied_at, 0) <> 0 THEN (OLD.replied_at + 28800000) / 86400000 ELSE 0 END;
    INSERT INTO demand_counts (level, region, org_id, day, reply_day, n, signed_on_time,
                               replied_on_time, rated, satisfied, bad, bad_rectified)
    SELECT lv.level, CASE WHEN lv.level = 1 THEN substr(NEW.region, 1, 4) ELSE NEW.region END,
           NEW.lead_org_id, (NEW.dispatched_at + 28800000) / 86400000,
           CASE WHEN COALESCE(NEW.replied_at, 0) <> 0 THEN (NEW.replied_at + 28800000) / 86400000 ELSE 0 END,
           1,
           COALESCE(NEW.signed_at, 0) <> 0 AND COALESCE(NEW.sign_due, 0) <> 0 AND NEW.signed_at <= NEW.sign_due,
           COALESCE(NEW.replied_at, 0) <> 0 AND COALESCE(NEW.reply_due, 0) <> 0 AND NEW.replied_at <= NEW.reply_due,
           COALESCE(NEW.rating, 0) <> 0, COALESCE(NEW.rating, 0) >= 4, b.is_bad,
           b.is_bad AND (COALESCE(NEW.rating, 0) >= 3 OR NEW.state = 'archived')
    FROM (SELECT EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = NEW.id
                         AND action = 'rate' AND to_state = 'rectifying') AS is_bad) b,
         (SELECT 1 AS level UNION ALL SELECT 2) lv
    WHERE NEW.dispatched_at IS NOT NULL AND NEW.lead_org_id IS NOT NULL AND NEW.merged_into IS NULL
    ON CONFLICT (level, region, org_id, day, reply_day) DO UPDATE SET
        n = n + excluded.n, signed_on_time = signed_on_time + excluded.signed_on_time,
        replied_on_time = replied_on_time + excluded.replied_on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
        bad = bad + excluded.bad, bad_rectified = bad_rectified + excluded.bad_rectified;
END;
-- Timeline events: a dispatch counts for the lead it names, a return for the asker's
-- organisation; the first 差评 of a counted demand makes it bad.
CREATE TRIGGER events_counts_dispatch AFTER INSERT ON events
WHEN NEW.entity = 'demand' AND NEW.action = 'dispatch'
BEGIN
    INSERT INTO demand_event_counts (region, org_id, day, received, returned)
    SELECT d.region, o.id, (NEW.at + 28800000) / 86400000, 1, 0
    FROM demands d JOIN orgs o ON o.code = json_extract(NEW.data, '$.lead')
    WHERE d.id = NEW.entity_id
    ON CONFLICT (region, org_id, day) DO UPDATE SET received = received + 1;
END;
CREATE TRIGGER events_counts_return AFTER INSERT ON events
WHEN NEW.entity = 'demand' AND NEW.action = 'return' AND NEW.actor LIKE 'user:%'
BEGIN
    INSERT INTO demand_event_counts (region, org_id, day, received, returned)
    SELECT d.region, o.id, (NEW.at + 28800000) / 86400000, 0, 1
    FROM demands d, users u JOIN orgs o ON o.id = u.org_id
    WHERE d.id = NEW.entity_id AND u.username = substr(NEW.actor, 6)
    ON CONFLICT (region, org_id, day) DO UPDATE SET returned = returned + 1;
END;
CREATE TRIGGER events_counts_bad AFTER INSERT ON events
WHEN NEW.entity = 'demand' AND NEW.action = 'rate' AND NEW.to_state = 'rectifying'
  AND NOT EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = NEW.entity_id
                  AND action = 'rate' AND to_state = 'rectifying' AND id <> NEW.id)
BEGIN
    UPDATE demand_counts SET bad = bad + 1,
        bad_rectified = bad_rectified + (COALESCE(d.rating, 0) >= 3 OR d.state = 'archived')
    FROM demands d
    WHERE d.id = NEW.entity_id AND d.dispatched_at IS NOT NULL AND d.lead_org_id IS NOT NULL
      AND d.merged_into IS NULL
      AND ((demand_counts.level = 1 AND demand_counts.region = substr(d.region, 1, 4))
           OR (demand_counts.level = 2 AND demand_counts.region = d.region))
      AND demand_counts.org_id = d.lead_org_id
      AND demand_counts.day = (d.dispatched_at + 28800000) / 86400000
      AND demand_counts.reply_day = CASE WHEN COALESCE(d.replied_at, 0) <> 0 THEN (d.replied_at + 28800000) / 86400000 ELSE 0 END;
END;
-- @end
-- @pg
-- k = 1 adds the contribution of demand r, k = -1 takes it back.
CREATE FUNCTION demand_counts_add(r demands, k INTEGER) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    b INTEGER;
    lv INTEGER;
    rt INTEGER := COALESCE(r.rating, 0);
BEGIN
    IF r.dispatched_at IS NULL OR r.lead_org_id IS NULL OR r.merged_into IS NOT NULL THEN
        RETURN;
    END IF;
    b := CASE WHEN EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = r.id
                           AND action = 'rate' AND to_state = 'rectifying') THEN 1 ELSE 0 END;
    FOR lv IN 1..2 LOOP
    INSERT INTO demand_counts AS c (level, region, org_id, day, reply_day, n, signed_on_time,
                                    replied_on_time, rated, satisfied, bad, bad_rectified)
    VALUES (lv, CASE WHEN lv = 1 THEN substr(r.region, 1, 4) ELSE r.region END, r.lead_org_id, (r.dispatched_at + 28800000) / 86400000,
            CASE WHEN COALESCE(r.replied_at, 0) <> 0 THEN (r.replied_at + 28800000) / 86400000 ELSE 0 END,
            k,
            CASE WHEN COALESCE(r.signed_at, 0) <> 0 AND COALESCE(r.sign_due, 0) <> 0
                      AND r.signed_at <= r.sign_due THEN k ELSE 0 END,
            CASE WHEN COALESCE(r.replied_at, 0) <> 0 AND COALESCE(r.reply_due, 0) <> 0
                      AND r.replied_at <= r.reply_due THEN k ELSE 0 END,
            CASE WHEN rt <> 0 THEN k ELSE 0 END, CASE WHEN rt >= 4 THEN k ELSE 0 END, b * k,
            CASE WHEN b = 1 AND (rt >= 3 OR r.state = 'archived') THEN k ELSE 0 END)
    ON CONFLICT (level, region, org_id, day, reply_day) DO UPDATE SET
        n = c.n + EXCLUDED.n, signed_on_time = c.signed_on_time + EXCLUDED.signed_on_time,
        replied_on_time = c.replied_on_time + EXCLUDED.replied_on_time,
        rated = c.rated + EXCLUDED.rated, satisfied = c.satisfied + EXCLUDED.satisfied,
        bad = c.bad + EXCLUDED.bad, bad_rectified = c.bad_rectified + EXCLUDED.bad_rectified;
    END LOOP;
END
$$;
CREATE FUNCTION demands_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM demand_counts_add(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM demand_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
-- A new demand is not yet dispatched (creates pay nothing); a test or an import may write one.
CREATE TRIGGER demands_counts_insert AFTER INSERT ON demands FOR EACH ROW
    WHEN (NEW.dispatched_at IS NOT NULL) EXECUTE FUNCTION demands_counts();
CREATE TRIGGER demands_counts_delete AFTER DELETE ON demands FOR EACH ROW
    WHEN (OLD.dispatched_at IS NOT NULL) EXECUTE FUNCTION demands_counts();
CREATE TRIGGER demands_counts_update AFTER UPDATE ON demands FOR EACH ROW
    WHEN ((OLD.region, OLD.lead_org_id, OLD.dispatched_at, OLD.replied_at, OLD.signed_at,
           OLD.sign_due, OLD.reply_due, OLD.rating, OLD.merged_into, OLD.state)
          IS DISTINCT FROM
          (NEW.region, NEW.lead_org_id, NEW.dispatched_at, NEW.replied_at, NEW.signed_at,
           NEW.sign_due, NEW.reply_due, NEW.rating, NEW.merged_into, NEW.state))
    EXECUTE FUNCTION demands_counts();
CREATE FUNCTION events_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d demands%ROWTYPE;
    o BIGINT;
BEGIN
    SELECT * INTO d FROM demands WHERE id = NEW.entity_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NEW.action = 'dispatch' THEN
        SELECT id INTO o FROM orgs WHERE code = (NEW.data::json ->> 'lead');
        IF o IS NOT NULL THEN
            INSERT INTO demand_event_counts AS c (region, org_id, day, received, returned)
            VALUES (d.region, o, (NEW.at + 28800000) / 86400000, 1, 0)
            ON CONFLICT (region, org_id, day) DO UPDATE SET received = c.received + 1;
        END IF;
    ELSIF NEW.action = 'return' THEN
        SELECT org.id INTO o FROM users u JOIN orgs org ON org.id = u.org_id
        WHERE NEW.actor LIKE 'user:%' AND u.username = substr(NEW.actor, 6);
        IF o IS NOT NULL THEN
            INSERT INTO demand_event_counts AS c (region, org_id, day, received, returned)
            VALUES (d.region, o, (NEW.at + 28800000) / 86400000, 0, 1)
            ON CONFLICT (region, org_id, day) DO UPDATE SET returned = c.returned + 1;
        END IF;
    ELSIF NEW.to_state = 'rectifying' AND d.dispatched_at IS NOT NULL
          AND d.lead_org_id IS NOT NULL AND d.merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM events WHERE entity = 'demand' AND entity_id = d.id
                          AND action = 'rate' AND to_state = 'rectifying' AND id <> NEW.id) THEN
        UPDATE demand_counts SET bad = bad + 1,
            bad_rectified = bad_rectified + CASE WHEN COALESCE(d.rating, 0) >= 3
                                                   OR d.state = 'archived' THEN 1 ELSE 0 END
        WHERE ((level = 1 AND region = substr(d.region, 1, 4)) OR (level = 2 AND region = d.region))
          AND org_id = d.lead_org_id
          AND day = (d.dispatched_at + 28800000) / 86400000
          AND reply_day = CASE WHEN COALESCE(d.replied_at, 0) <> 0
                               THEN (d.replied_at + 28800000) / 86400000 ELSE 0 END;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_counts AFTER INSERT ON events FOR EACH ROW
    WHEN (NEW.entity = 'demand' AND NEW.action IN ('dispatch', 'return', 'rate'))
    EXECUTE FUNCTION events_counts();
-- @end
