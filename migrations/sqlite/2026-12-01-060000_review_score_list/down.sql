DROP INDEX reviews_round_scores_idx;
CREATE INDEX reviews_round_idx ON reviews (round_id, status);
ALTER TABLE reviews DROP COLUMN score_list;
