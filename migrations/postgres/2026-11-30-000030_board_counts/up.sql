-- The review board's progress per reviewer and status, read from the index alone.
-- Keep in step with the other backend.
CREATE INDEX reviews_round_reviewer_status_idx ON reviews (round_id, reviewer_id, status);

