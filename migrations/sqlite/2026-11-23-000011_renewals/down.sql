ALTER TABLE proposals DROP COLUMN renewal_track;
ALTER TABLE proposals DROP COLUMN renewal_of;
