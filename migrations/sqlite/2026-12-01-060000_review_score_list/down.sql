ALTER TABLE reviews DROP COLUMN score_list;
