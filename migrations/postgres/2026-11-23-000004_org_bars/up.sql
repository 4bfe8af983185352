-- Bars: an organization may not apply to a bureau's rounds until a date (set by an officer,
-- or by a failed final evaluation). Keep in step with the other backend.
CREATE TABLE org_bars (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    bureau_id BIGINT NOT NULL REFERENCES bureaus(id),
    until DATE NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    lifted_at TIMESTAMP
);
CREATE INDEX org_bars_idx ON org_bars (org_id, bureau_id);
