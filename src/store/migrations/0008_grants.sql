-- Grants (兑现, issue 5 items 5 and 6): what 0006 leaves to the grant side.
-- bank_*       the account the enterprise confirmed with 意愿确认 (optional; masked in lists
--              for anyone but the enterprise and the issuing department).
-- declined_at  when the enterprise declined.
-- grant_id     on notices: the grant a notice is about (免申即享 match, payment), like demand_id.
ALTER TABLE grants ADD COLUMN bank_name TEXT;
ALTER TABLE grants ADD COLUMN bank_account TEXT;
ALTER TABLE grants ADD COLUMN account_name TEXT;
ALTER TABLE grants ADD COLUMN declined_at BIGINT;
ALTER TABLE notices ADD COLUMN grant_id BIGINT REFERENCES grants(id);
