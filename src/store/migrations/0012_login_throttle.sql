-- Login throttling keyed by (user name, client address), so nobody can lock a user out
-- from another address (issue 14, item 14). username '' is the row of the address
-- itself, counting failures for any name (item 11). next_at is when the next attempt
-- may start; an attempt counts itself before its password check (one atomic upsert).
DROP TABLE login_attempts;
CREATE TABLE login_throttle (
    username   TEXT NOT NULL,
    addr       TEXT NOT NULL,
    failures   INTEGER NOT NULL,
    next_at    BIGINT NOT NULL,
    last_at    BIGINT NOT NULL,
    PRIMARY KEY (username, addr)
);
CREATE INDEX login_throttle_age ON login_throttle(last_at);
-- Failed logins of user names that do not exist, counted per address and hour instead
-- of one audit event each (item 11).
CREATE TABLE login_unknown_failures (
    addr   TEXT NOT NULL,
    hour   BIGINT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (addr, hour)
);
