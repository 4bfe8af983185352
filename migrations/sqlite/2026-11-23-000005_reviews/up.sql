-- Expert review: reviewer profiles and review assignments. Keep in step with the other backend.
CREATE TABLE reviewer_profiles (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id),
    expertise TEXT NOT NULL,
    affiliations_json TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds(id),
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    scores_json TEXT NOT NULL,
    overall_comment TEXT NOT NULL,
    recommendation TEXT,
    conflict_note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    assigned_by BIGINT REFERENCES users(id),
    assigned_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (proposal_id, reviewer_id)
);
CREATE INDEX reviews_round_idx ON reviews (round_id, status);
CREATE INDEX reviews_reviewer_idx ON reviews (reviewer_id, status);
