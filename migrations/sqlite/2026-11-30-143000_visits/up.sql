-- Supervision visits (督导) and their findings. Keep in step with the other backend.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    visitor_id BIGINT NOT NULL REFERENCES users(id),
    scheduled_on DATE NOT NULL,
    status TEXT NOT NULL,
    visited_on DATE,
    checklist_json TEXT NOT NULL,
    rating TEXT,
    summary TEXT NOT NULL DEFAULT '',
    scheduled_by BIGINT NOT NULL REFERENCES users(id),
    recorded_by BIGINT REFERENCES users(id),
    recorded_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX visits_project_idx ON visits (project_id, scheduled_on);
CREATE INDEX visits_visitor_idx ON visits (visitor_id, status);

CREATE TABLE visit_findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id BIGINT NOT NULL REFERENCES visits(id),
    project_id BIGINT NOT NULL REFERENCES projects(id),
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    rectify_by DATE,
    status TEXT NOT NULL,
    response TEXT,
    response_file_id BIGINT,
    responded_by BIGINT REFERENCES users(id),
    responded_at TIMESTAMP,
    closed_by BIGINT REFERENCES users(id),
    closed_at TIMESTAMP,
    close_note TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (visit_id, seq)
);
CREATE INDEX visit_findings_project_idx ON visit_findings (project_id, status, rectify_by);

ALTER TABLE project_files ADD COLUMN visit_id BIGINT;
