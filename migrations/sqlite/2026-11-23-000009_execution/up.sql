-- Project execution: the signed agreement, files, progress reports and payments.
-- Keep in step with the other backend.
ALTER TABLE projects ADD COLUMN agreement_signed_at TIMESTAMP;
ALTER TABLE tranches ADD COLUMN released_at TIMESTAMP;

CREATE TABLE project_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    report_id BIGINT,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX project_files_idx ON project_files (project_id, report_id);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    milestone_index INTEGER,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    content_json TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    submitted_at TIMESTAMP,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TIMESTAMP,
    return_comment TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (project_id, kind, period_end)
);
CREATE INDEX reports_project_idx ON reports (project_id, period_end);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    tranche_id BIGINT NOT NULL REFERENCES tranches(id),
    paid_on DATE NOT NULL,
    voucher_no TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_project_idx ON payments (project_id, tranche_id);
