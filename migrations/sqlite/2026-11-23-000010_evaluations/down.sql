ALTER TABLE project_files DROP COLUMN evaluation_id;
ALTER TABLE projects DROP COLUMN final_grade;
ALTER TABLE projects DROP COLUMN renewal;
ALTER TABLE projects DROP COLUMN rectify_until;
DROP TABLE evaluations;
