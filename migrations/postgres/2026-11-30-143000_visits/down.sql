ALTER TABLE project_files DROP COLUMN visit_id;
DROP TABLE visit_findings;
DROP TABLE visits;
