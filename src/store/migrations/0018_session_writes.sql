-- When a session last wrote (issue 16 item 3, docs/internals/store.md "Read replica"): ms
-- since the epoch by the clock of the qifu process that served the write, 0 for never.
-- With a read replica (`qifu serve --db-replica`), the router stamps it after a write by
-- the session, and that session's reads go to the primary until twice the replica's lag
-- limit has passed, so a session always reads its own writes.
ALTER TABLE sessions ADD COLUMN wrote_at BIGINT NOT NULL DEFAULT 0;
