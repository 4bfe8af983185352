DROP INDEX objections_unconfirmed_idx;
DROP INDEX objections_confirm_token_idx;
ALTER TABLE objections DROP COLUMN confirmed_at;
ALTER TABLE objections DROP COLUMN confirm_token_hash;
DROP TABLE rate_limits;
