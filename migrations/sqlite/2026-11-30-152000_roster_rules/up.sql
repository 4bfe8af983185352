-- When a project ended (completed, terminated or failed): its rosters are anonymised the
-- round's retention period after this (issue 15). Keep in step with the other backend.
CREATE TABLE project_closures (
    project_id BIGINT PRIMARY KEY REFERENCES projects(id),
    closed_at TIMESTAMP NOT NULL
);
INSERT INTO project_closures (project_id, closed_at)
    SELECT id, updated_at FROM projects WHERE status IN ('completed', 'terminated', 'failed');
