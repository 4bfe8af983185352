-- A project's bureau (its round's, which never changes), so that a bureau's project table
-- pages by index instead of sorting every project of its rounds. Written by
-- db::projects::insert_project. Keep in step with the other backend.
ALTER TABLE projects ADD COLUMN bureau_id BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET bureau_id = (SELECT rounds.bureau_id FROM rounds WHERE rounds.id = projects.round_id);
CREATE INDEX projects_bureau_idx ON projects (bureau_id, id);
CREATE INDEX projects_bureau_status_idx ON projects (bureau_id, status, id);
