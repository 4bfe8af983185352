ALTER TABLE notices DROP COLUMN opened_at;
