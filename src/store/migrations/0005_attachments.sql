-- Attachments of demands (诉求附件). The bytes live in the database, so an upload
-- commits together with its timeline and audit events and is backed up with the data.
-- content_type is what the server recognised in the bytes, never the client's claim;
-- internal attachments are hidden from the enterprise like internal notes.
CREATE TABLE demand_attachments (
    id            {{ID}},
    demand_id     BIGINT NOT NULL REFERENCES demands(id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL CHECK (size >= 0),
    sha256        TEXT NOT NULL,
    internal      INTEGER NOT NULL DEFAULT 0,
    uploaded_by   TEXT NOT NULL,   -- the actor ("user:NAME")
    uploader_name TEXT NOT NULL,   -- display name, as on the timeline
    org           TEXT NOT NULL,   -- organisation name, or the enterprise's credit code
    created_at    BIGINT NOT NULL,
    data          {{BLOB}} NOT NULL
);
-- @pg
-- PDFs, images and Office files are compressed already: store them out of line as they are.
ALTER TABLE demand_attachments ALTER COLUMN data SET STORAGE EXTERNAL;
-- @end
CREATE INDEX demand_attachments_demand ON demand_attachments(demand_id, id);
