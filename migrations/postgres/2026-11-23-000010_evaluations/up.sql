-- Third-party evaluations and what follows them. Keep in step with the other backend.
CREATE TABLE evaluations (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    stage TEXT NOT NULL,
    reevaluation BOOLEAN NOT NULL DEFAULT FALSE,
    agency_org_id BIGINT NOT NULL REFERENCES organizations(id),
    evaluator_id BIGINT NOT NULL REFERENCES users(id),
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    content_json TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    total_tenths INTEGER,
    grade TEXT,
    consequence TEXT,
    renewal TEXT,
    override_reason TEXT,
    return_comment TEXT,
    assigned_by BIGINT NOT NULL REFERENCES users(id),
    submitted_at TIMESTAMP,
    accepted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX evaluations_project_idx ON evaluations (project_id, id);
CREATE INDEX evaluations_evaluator_idx ON evaluations (evaluator_id, status);

ALTER TABLE projects ADD COLUMN rectify_until DATE;
ALTER TABLE projects ADD COLUMN renewal TEXT;
ALTER TABLE projects ADD COLUMN final_grade TEXT;
ALTER TABLE project_files ADD COLUMN evaluation_id BIGINT;
