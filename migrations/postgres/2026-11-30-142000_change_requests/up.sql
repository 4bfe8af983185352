-- 项目变更: change requests of a project (extension, budget reallocation, content, leader),
-- filed by the organization and decided by the bureau's officer (or applied at once when the
-- round does not require approval of the kind), and the versions of the project's plan that
-- approved changes produce. Version 1 of a plan is the proposal as awarded (kept when the
-- first change applies); the latest version is the plan in force. An applied change issues a
-- supplement agreement (补充协议, documents kind 'supplement', its version in supplement_no).
-- At most one open request per project and kind (a partial unique index).
-- Keep in step with the other backend.
CREATE TABLE change_requests (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_json TEXT NOT NULL,
    applied_json TEXT,
    decision_reason TEXT,
    filed_by BIGINT NOT NULL REFERENCES users(id),
    filed_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP,
    plan_version INTEGER,
    supplement_no INTEGER
);
CREATE INDEX change_requests_project_idx ON change_requests (project_id, id);
CREATE INDEX change_requests_status_idx ON change_requests (status, filed_at);
CREATE UNIQUE INDEX change_requests_open_idx ON change_requests (project_id, kind) WHERE status = 'open';

CREATE TABLE plan_versions (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    version INTEGER NOT NULL,
    content_json TEXT NOT NULL,
    change_id BIGINT REFERENCES change_requests(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, version)
);

ALTER TABLE project_files ADD COLUMN change_id BIGINT;
CREATE INDEX project_files_change_idx ON project_files (change_id);
