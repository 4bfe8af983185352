DROP INDEX documents_verify_code;
ALTER TABLE documents DROP COLUMN verify_code;
