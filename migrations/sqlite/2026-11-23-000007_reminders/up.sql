-- Reminders already sent (one row per reminder key), so each goes out once.
CREATE TABLE reminders (
    key TEXT PRIMARY KEY NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
