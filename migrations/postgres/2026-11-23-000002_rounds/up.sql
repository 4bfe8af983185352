-- Funding rounds (资助批次). Keep in step with the other backend's migration.
CREATE TABLE rounds (
    id BIGSERIAL PRIMARY KEY,
    bureau_id BIGINT NOT NULL REFERENCES bureaus(id),
    title TEXT NOT NULL,
    year INTEGER NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    total_budget_fen BIGINT NOT NULL,
    min_grant_fen BIGINT NOT NULL,
    max_grant_fen BIGINT NOT NULL,
    opens_at TIMESTAMP,
    closes_at TIMESTAMP,
    review_due TIMESTAMP,
    rules_json TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    published_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rounds_bureau_idx ON rounds (bureau_id, id);
CREATE INDEX rounds_status_idx ON rounds (status, closes_at);
