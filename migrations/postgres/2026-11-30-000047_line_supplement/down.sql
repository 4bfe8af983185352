ALTER TABLE awards DROP COLUMN supplement_ends_at;
ALTER TABLE awards DROP COLUMN supplement_starts_at;
ALTER TABLE awards DROP COLUMN partial_of_fen;
