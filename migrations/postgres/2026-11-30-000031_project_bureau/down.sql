DROP INDEX projects_bureau_status_idx;
DROP INDEX projects_bureau_idx;
ALTER TABLE projects DROP COLUMN bureau_id;
