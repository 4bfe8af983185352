-- Scheduled publication (DESIGN §2.4, issue 14 §7): a notice prepared in advance opens to the
-- public at `starts_at`, when the worker sets `opened_at` and mails the organizations on the
-- list. NULL: scheduled, not yet public. Notices published before this migration opened when
-- they started. Keep in step with the other backend.
ALTER TABLE notices ADD COLUMN opened_at TIMESTAMP NULL;
UPDATE notices SET opened_at = starts_at;
