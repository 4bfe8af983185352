ALTER TABLE evaluations DROP COLUMN lateness_json;
