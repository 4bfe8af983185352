-- Refunds (追回) of a terminated project: what is owed and what came back.
CREATE TABLE refunds (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    note TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX refunds_project_idx ON refunds (project_id, id);
