-- Server-side sessions: every issued token names one row (its `jti`), so signing out,
-- signing out everywhere and disabling an account end tokens before they expire.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user_idx ON sessions (user_id, expires_at);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
