-- Proposals (项目申报书) and their attachments. Keep in step with the other backend.
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    number TEXT UNIQUE,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    requested_grant_fen BIGINT NOT NULL,
    total_budget_fen BIGINT NOT NULL,
    content_json TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    submitted_at TIMESTAMP,
    return_deadline TIMESTAMP,
    return_comment TEXT,
    decision_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX proposals_round_idx ON proposals (round_id, status, id);
CREATE INDEX proposals_org_idx ON proposals (org_id, id);

CREATE TABLE proposal_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX proposal_attachments_idx ON proposal_attachments (proposal_id);

CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
