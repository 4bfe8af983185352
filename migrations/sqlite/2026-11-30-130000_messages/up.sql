-- 站内消息: every outbox email to a known account is also that account's in-app message.
-- user_id is the account the email was addressed to when it was queued (NULL for people
-- without an account, e.g. citizens filing an objection); read_at is when the account marked
-- it read. users.unread_messages counts its unread ones, kept in the same transaction as the
-- email and the marking, so the navigation shows it without a query of its own.
-- Keep in step with the other backend.
ALTER TABLE outbox ADD COLUMN user_id BIGINT;
ALTER TABLE outbox ADD COLUMN read_at TIMESTAMP;
ALTER TABLE users ADD COLUMN unread_messages INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_user_idx ON outbox (user_id, id);
