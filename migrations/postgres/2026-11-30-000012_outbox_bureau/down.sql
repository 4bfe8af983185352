DROP INDEX outbox_sent_idx;
ALTER TABLE outbox DROP COLUMN bureau_id;
