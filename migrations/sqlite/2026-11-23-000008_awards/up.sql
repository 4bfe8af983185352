-- The decision (核减, moving the line, category budgets), the public notice (公示) with its
-- objections (异议), and the projects created at the award. Keep in step with the other backend.
CREATE TABLE decision_entries (
    proposal_id BIGINT PRIMARY KEY NOT NULL REFERENCES proposals(id),
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    reduced_fen BIGINT,
    reduce_reason TEXT,
    line_override TEXT,
    override_reason TEXT,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX decision_entries_round_idx ON decision_entries (round_id);

CREATE TABLE category_budgets (
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    category TEXT NOT NULL,
    budget_fen BIGINT NOT NULL,
    PRIMARY KEY (round_id, category)
);

CREATE TABLE notices (
    round_id BIGINT PRIMARY KEY NOT NULL REFERENCES rounds(id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    working_days INTEGER NOT NULL,
    published_by BIGINT NOT NULL REFERENCES users(id),
    finalised_at TIMESTAMP
);

-- The ranking as published: funded, waitlisted, not fundable, or removed by an objection.
CREATE TABLE awards (
    proposal_id BIGINT PRIMARY KEY NOT NULL REFERENCES proposals(id),
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    rank INTEGER NOT NULL,
    final_tenths INTEGER NOT NULL,
    requested_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    reduce_reason TEXT,
    state TEXT NOT NULL,
    substitute BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX awards_round_idx ON awards (round_id, rank);

CREATE TABLE objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    response TEXT,
    answered_by BIGINT REFERENCES users(id),
    answered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX objections_round_idx ON objections (round_id, status, id);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    proposal_id BIGINT NOT NULL UNIQUE REFERENCES proposals(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    agreement_no TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    grant_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX projects_round_idx ON projects (round_id, id);
CREATE INDEX projects_org_idx ON projects (org_id, id);

CREATE TABLE tranches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    seq INTEGER NOT NULL,
    share_bp BIGINT NOT NULL,
    condition TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (project_id, seq)
);
