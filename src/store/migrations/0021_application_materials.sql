-- Materials of a policy application (申报材料, issue 17 item 7): uploads of the applying
-- enterprise, checked exactly as demand attachments are (src/demand/demand_attach.c
-- demand_attach_check: the type from the bytes), read by the applicant and the reviewing
-- department only. The bytes live in the row, so an upload commits with its timeline
-- event and audit row.
CREATE TABLE application_materials (
    id             {{ID}},
    application_id BIGINT NOT NULL REFERENCES applications(id),
    name           TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL CHECK (size >= 0),
    sha256         TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,   -- the actor ("user:NAME")
    uploader_name  TEXT NOT NULL,   -- display name, as on the timeline
    created_at     BIGINT NOT NULL,
    data           {{BLOB}} NOT NULL
);
-- @pg
ALTER TABLE application_materials ALTER COLUMN data SET STORAGE EXTERNAL;
-- @end
CREATE INDEX application_materials_app ON application_materials(application_id, id);
