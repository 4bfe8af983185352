ALTER TABLE audit_head DROP COLUMN chain_id;
ALTER TABLE audit_log DROP COLUMN scheme;
