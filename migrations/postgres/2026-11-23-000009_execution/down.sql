DROP TABLE payments;
DROP TABLE reports;
DROP TABLE project_files;
ALTER TABLE tranches DROP COLUMN released_at;
ALTER TABLE projects DROP COLUMN agreement_signed_at;
