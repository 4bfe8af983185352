-- The funding-line rule and the supplementary notice (补充公示) on the published list: a line
-- funded in part under the round's `partial` rule keeps the amount it was cut from
-- (`partial_of_fen`), and a proposal brought onto the list from the waitlist while the round
-- has a supplementary notice carries that notice's period. Keep in step with the other backend.
ALTER TABLE awards ADD COLUMN partial_of_fen BIGINT;
ALTER TABLE awards ADD COLUMN supplement_starts_at TIMESTAMP;
ALTER TABLE awards ADD COLUMN supplement_ends_at TIMESTAMP;
