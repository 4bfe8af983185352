-- Performance targets (绩效目标): each project's achievement of the targets in its plan, from
-- its latest accepted report, kept up to date with the other stored figures by
-- db::projects::refresh_figures, so that the lists and dashboards show and total it without
-- reading plans. Projects from before targets have none (0 of 0). Keep in step with the other
-- backend.
ALTER TABLE projects ADD COLUMN fig_targets_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN fig_targets_met INTEGER NOT NULL DEFAULT 0;
-- The weighted achievement score out of 100, in tenths; none without targets.
ALTER TABLE projects ADD COLUMN fig_target_score INTEGER;
