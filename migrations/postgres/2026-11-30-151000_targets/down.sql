ALTER TABLE projects DROP COLUMN fig_target_score;
ALTER TABLE projects DROP COLUMN fig_targets_met;
ALTER TABLE projects DROP COLUMN fig_targets_total;
