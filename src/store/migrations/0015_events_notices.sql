-- One timeline and one notice model for every domain (docs/internals/flow.md).
--
-- events: every workflow's timeline, keyed by (entity, entity_id): 'demand', 'grant',
-- 'application', 'policy' and whatever domain comes next; written by flow_record in
-- the transaction of the change. It replaces demand_events and policy_events, whose
-- rows move here in their order (policy_events had no actor_name: its actor is used).
-- internal = 1 marks an event the enterprise does not see (a demand's 内部备注).
CREATE TABLE events (
    id          {{ID}},
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    org         TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    note        TEXT,
    internal    INTEGER NOT NULL DEFAULT 0,
    data        TEXT
);
CREATE INDEX events_entity ON events(entity, entity_id, id);

INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state,
                    to_state, note, internal, data)
SELECT 'demand', demand_id, at, actor, actor_name, org, action, from_state, to_state, note,
       internal, data
FROM demand_events ORDER BY id;
INSERT INTO events (entity, entity_id, at, actor, actor_name, org, action, from_state,
                    to_state, note, internal, data)
SELECT entity, entity_id, at, actor, actor, org, action, from_state, to_state, note, 0, data
FROM policy_events ORDER BY id;
DROP TABLE demand_events;
DROP TABLE policy_events;

-- notices: keyed by the record they are about, (entity, entity_id), instead of one
-- column per domain (demand_id, grant_id). A notice is addressed to a user, an
-- organisation or an enterprise, and shown only to those who may read its record
-- (the reader is the entity's flow, src/flow). Ids are kept: the webhook's
-- Idempotency-Key is notice-<id>.
CREATE TABLE notices_new (
    id          {{ID}},
    user_id     BIGINT REFERENCES users(id),
    org_id      BIGINT REFERENCES orgs(id),
    credit_code TEXT,
    entity      TEXT,
    entity_id   BIGINT,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT,
    -- Delivery to the webhook (SMS gateway), at least once: pending → delivered | failed.
    delivery_state TEXT NOT NULL DEFAULT 'pending' CHECK (delivery_state IN ('pending','delivered','failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        BIGINT NOT NULL DEFAULT 0,
    delivered_at   BIGINT,
    last_error     TEXT,
    CHECK ((entity IS NULL) = (entity_id IS NULL))
);
INSERT INTO notices_new (id, user_id, org_id, credit_code, entity, entity_id, kind, title, body,
                         created_at, read_at, delivery_state, attempts, next_at, delivered_at,
                         last_error)
SELECT id, user_id, org_id, credit_code,
       CASE WHEN demand_id IS NOT NULL THEN 'demand' WHEN grant_id IS NOT NULL THEN 'grant' END,
       COALESCE(demand_id, grant_id), kind, title, body, created_at, read_at, delivery_state,
       attempts, next_at, delivered_at, last_error
FROM notices ORDER BY id;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE INDEX notices_delivery ON notices(delivery_state, next_at);
CREATE INDEX notices_org ON notices(org_id, id);
CREATE INDEX notices_enterprise ON notices(credit_code, id);
CREATE INDEX notices_entity ON notices(entity, entity_id);
CREATE INDEX notices_user ON notices(user_id, id);
-- @pg
-- The copied ids came past the new table's sequence; the next notice continues after them.
ALTER SEQUENCE notices_new_id_seq RENAME TO notices_id_seq;
SELECT setval('notices_id_seq', COALESCE((SELECT max(id) FROM notices), 0) + 1, false);
ALTER INDEX notices_new_pkey RENAME TO notices_pkey;
-- @end
