-- The short code printed (and drawn as a QR code) on an issued document, leading to its
-- public verification page. Documents issued before have none.
ALTER TABLE documents ADD COLUMN verify_code TEXT;
CREATE UNIQUE INDEX documents_verify_code ON documents (verify_code);
