-- A review's criterion scores beside its content, in tenths, each followed by a comma, in
-- rubric order; an empty item for a criterion not scored ("160,170,," for three criteria, the
-- last unscored). The ranking of a round reads these instead of decoding scores_json with its
-- comments (100,000 reviews in a 20,000-proposal round). Written with scores_json; rows from
-- before are filled from it when this migration runs (db::reviews::fill_score_lists). Keep
-- in step with the other backend.
ALTER TABLE reviews ADD COLUMN score_list TEXT NOT NULL DEFAULT '';
-- What the ranking reads of a round's submitted reviews, from the index alone (a covering
-- index; the table's rows carry the comments). It leads with the columns of the index it
-- replaces.
DROP INDEX reviews_round_idx;
CREATE INDEX reviews_round_scores_idx ON reviews (round_id, status, id, proposal_id, reviewer_id, score_list);
