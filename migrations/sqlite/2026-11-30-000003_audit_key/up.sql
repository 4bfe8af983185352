-- The audit chain becomes keyed (HMAC-SHA256 with a secret kept outside the database).
-- Entries written before this migration keep their plain SHA-256 hashes and are marked
-- 'sha256'; the first start after it seals them with a keyed entry (see src/db/audit.rs).
ALTER TABLE audit_log ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';
-- A random name for this database's chain, set with the seal; it is covered by every keyed
-- hash and names the key a process loaded for this database.
ALTER TABLE audit_head ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
