-- Each project's figures from its latest filed report and its plan, kept up to date by the
-- code that files reports and creates projects (db::projects::refresh_figures), so that the
-- dashboards total them in SQL. `fig_version` 0: not computed yet (rows from before this
-- migration, filled in by the migrate step that runs it). Keep in step with the other backend.
ALTER TABLE projects ADD COLUMN fig_unique_people BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN fig_person_times BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN fig_spent_grant_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN fig_spent_matching_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN fig_overspent_lines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN fig_next_due_on DATE;
ALTER TABLE projects ADD COLUMN fig_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE project_groups (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    grp TEXT NOT NULL,
    unique_people BIGINT NOT NULL,
    person_times BIGINT NOT NULL,
    PRIMARY KEY (project_id, grp)
);
CREATE INDEX projects_figures_idx ON projects (fig_version);
-- The dashboards' and lists' filters and sorts.
CREATE INDEX projects_status_idx ON projects (status, id);
CREATE INDEX projects_round_status_idx ON projects (round_id, status, id);
CREATE INDEX reports_filed_idx ON reports (project_id, status, period_end, id);
CREATE INDEX reviews_reviewer_id_idx ON reviews (reviewer_id, id);
CREATE INDEX proposals_round_submitted_idx ON proposals (round_id, submitted_at, id);
CREATE INDEX evaluations_evaluator_id_idx ON evaluations (evaluator_id, id);
