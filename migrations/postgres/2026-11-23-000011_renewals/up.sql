-- Renewal proposals (续期资助): the project they continue and their track.
ALTER TABLE proposals ADD COLUMN renewal_of BIGINT;
ALTER TABLE proposals ADD COLUMN renewal_track TEXT;
