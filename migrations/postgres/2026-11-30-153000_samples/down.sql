DROP INDEX documents_evaluation_idx;
ALTER TABLE documents DROP COLUMN evaluation_id;
DROP TABLE sample_persons;
DROP TABLE samples;
