-- The bureau a message is sent for, so the worker can cap each bureau's sending rate
-- (NULL: account emails and others of no bureau, capped as one group). Keep in step with
-- the other backend.
ALTER TABLE outbox ADD COLUMN bureau_id BIGINT;
-- What the cap counts: messages sent in the last minute.
CREATE INDEX outbox_sent_idx ON outbox (sent_at);
