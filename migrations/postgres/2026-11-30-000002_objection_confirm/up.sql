-- Abuse limits: one fixed-window counter per key (client address, recipient, ...), shared by
-- every instance; objections count only once their author confirms them from the emailed
-- link. Keep in step with the other backend.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    hits INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_started_at);

ALTER TABLE objections ADD COLUMN confirm_token_hash TEXT;
ALTER TABLE objections ADD COLUMN confirmed_at TIMESTAMP;
-- Objections filed before confirmation existed count as confirmed.
UPDATE objections SET confirmed_at = created_at;
CREATE UNIQUE INDEX objections_confirm_token_idx ON objections (confirm_token_hash);
CREATE INDEX objections_unconfirmed_idx ON objections (confirmed_at, created_at);
