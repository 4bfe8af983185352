DROP INDEX outbox_user_idx;
ALTER TABLE users DROP COLUMN unread_messages;
ALTER TABLE outbox DROP COLUMN read_at;
ALTER TABLE outbox DROP COLUMN user_id;
