-- When a 12345 hotline (or another intake system) took the call, as exported by it:
-- kept beside created_at (when qifu recorded the demand). NULL for demands submitted
-- to qifu directly.
ALTER TABLE demands ADD COLUMN received_at BIGINT;
