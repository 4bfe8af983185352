DROP INDEX project_files_change_idx;
ALTER TABLE project_files DROP COLUMN change_id;
DROP TABLE plan_versions;
DROP TABLE change_requests;
