-- Enterprise demands (诉求): the closed loop of DESIGN §5. The state lives in demands;
-- every step is a row of demand_events (the timeline); handlers are the lead and
-- co-handling organisations of the current dispatch.
CREATE TABLE demands (
    id             {{ID}},
    no             TEXT NOT NULL UNIQUE,
    credit_code    TEXT NOT NULL REFERENCES enterprises(credit_code),
    region         TEXT NOT NULL,
    category       TEXT NOT NULL,
    urgency        TEXT NOT NULL CHECK (urgency IN ('normal','urgent','critical')),
    channel        TEXT NOT NULL CHECK (channel IN ('web','window','hotline','open311','api')),
    title          TEXT NOT NULL,
    content        TEXT NOT NULL,
    contact_name   TEXT,
    contact_phone  TEXT,
    address        TEXT,
    lat            DOUBLE PRECISION,
    lon            DOUBLE PRECISION,
    state          TEXT NOT NULL,
    prev_state     TEXT,
    lead_org_id    BIGINT REFERENCES orgs(id),
    intake_org_id  BIGINT REFERENCES orgs(id),
    sign_due       BIGINT,
    reply_due      BIGINT,
    rectify_due    BIGINT,
    due_beyond     INTEGER NOT NULL DEFAULT 0,
    overdue_noticed BIGINT,
    extension_to   BIGINT,
    reviewed       INTEGER NOT NULL DEFAULT 0,
    rating         INTEGER,
    rating_count   INTEGER NOT NULL DEFAULT 0,
    merged_into    BIGINT REFERENCES demands(id),
    external_id    TEXT,
    idem_key       TEXT,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    accepted_at    BIGINT,
    dispatched_at  BIGINT,
    signed_at      BIGINT,
    replied_at     BIGINT,
    closed_at      BIGINT,
    updated_at     BIGINT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX demands_state ON demands(state);
CREATE INDEX demands_enterprise ON demands(credit_code, created_at);
CREATE INDEX demands_lead ON demands(lead_org_id, state);
CREATE INDEX demands_region ON demands(region);
CREATE UNIQUE INDEX demands_external ON demands(channel, external_id);
CREATE UNIQUE INDEX demands_idem ON demands(created_by, idem_key);

CREATE TABLE demand_handlers (
    demand_id  BIGINT NOT NULL REFERENCES demands(id),
    org_id     BIGINT NOT NULL REFERENCES orgs(id),
    role       TEXT NOT NULL CHECK (role IN ('lead','co')),
    PRIMARY KEY (demand_id, org_id)
);
CREATE INDEX demand_handlers_org ON demand_handlers(org_id);

CREATE TABLE demand_events (
    id          {{ID}},
    demand_id   BIGINT NOT NULL REFERENCES demands(id),
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
CREATE INDEX demand_events_demand ON demand_events(demand_id, id);

-- In-app notices; each is also delivered to the webhook when one is configured.
CREATE TABLE notices (
    id          {{ID}},
    user_id     BIGINT REFERENCES users(id),
    org_id      BIGINT REFERENCES orgs(id),
    credit_code TEXT,
    demand_id   BIGINT REFERENCES demands(id),
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
    last_error     TEXT
);
CREATE INDEX notices_delivery ON notices(delivery_state, next_at);
CREATE INDEX notices_org ON notices(org_id, id);
CREATE INDEX notices_enterprise ON notices(credit_code, id);
