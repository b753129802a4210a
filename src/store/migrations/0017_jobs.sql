-- Background work done once across the processes of one deployment (issue 16 item 2;
-- src/job, docs/internals/job.md).
-- jobs         a named job and its lease: owner (the holding process's --instance name),
--              lease_until (ms, the holder's real clock), next_at (when a periodic job is
--              due next), checkpoint (the holder's resume point, text), runs (times taken),
--              updated_at. kind groups jobs taken as "the next due one" (policy_run);
--              a periodic singleton (the overdue sweep) is named after its kind.
-- notices      owner and lease_until: the process delivering a notice holds it until
--              lease_until, so two processes never POST one notice.
-- policy_runs  owner: the process executing the run now (or last); resumed: how many
--              times another process took it over from its checkpoint.
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    owner       TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL DEFAULT 0,
    checkpoint  TEXT,
    runs        BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_due ON jobs(kind, next_at);
ALTER TABLE notices ADD COLUMN owner TEXT;
ALTER TABLE notices ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE policy_runs ADD COLUMN owner TEXT;
ALTER TABLE policy_runs ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0;
-- Runs queued or running at the upgrade were the old server's in-process work: each gets
-- its job, so a runner takes it (from the start: there is no checkpoint yet).
INSERT INTO jobs (name, kind, next_at)
SELECT 'policy_run:' || id, 'policy_run', created_at FROM policy_runs
WHERE state IN ('queued', 'running');
