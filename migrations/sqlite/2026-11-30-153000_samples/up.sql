-- The evaluator's call-back sample (抽样回访, issue 15): drawn once per evaluation from the
-- project's roster, per beneficiary group, reproducibly from the recorded seed (the unique
-- persons ordered by SHA-256(seed ‖ person key), the first k of each group). Keep in step with
-- the other backend. groups_json holds each group's population, sample size and a digest of
-- its population, so an officer can re-derive the sample and see whether it still matches.
-- flagged_at is set while the sample's confirmed rate is below the round's threshold.
CREATE TABLE samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations(id),
    project_id BIGINT NOT NULL REFERENCES projects(id),
    seed TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    drawn_by BIGINT NOT NULL REFERENCES users(id),
    drawn_at TIMESTAMP NOT NULL,
    flagged_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (evaluation_id)
);
CREATE INDEX samples_flagged_idx ON samples (flagged_at);

-- One sampled person: a digest of their person key (never the name or number), the roster
-- line the call sheet shows (no foreign key: a roster may be replaced or anonymised, and the
-- sample keeps what it was), and what the call found.
CREATE TABLE sample_persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sample_id BIGINT NOT NULL REFERENCES samples(id),
    seq INTEGER NOT NULL,
    grp TEXT NOT NULL,
    person_digest TEXT NOT NULL,
    roster_entry_id BIGINT NOT NULL,
    reached BOOLEAN,
    confirmed BOOLEAN,
    satisfaction INTEGER,
    recorded_by BIGINT REFERENCES users(id),
    recorded_at TIMESTAMP,
    UNIQUE (sample_id, seq)
);

-- The evaluation an evaluation summary (评估报告摘要) was issued for; none for other documents.
ALTER TABLE documents ADD COLUMN evaluation_id BIGINT;
CREATE INDEX documents_evaluation_idx ON documents (evaluation_id);
