-- What late materials did to an accepted evaluation (the rule engine's finding: the late
-- reports, the round's rule, the deduction or the fail), as JSON. NULL until accepted, and
-- for evaluations accepted before lateness was derived. Keep in step with the other backend.
ALTER TABLE evaluations ADD COLUMN lateness_json TEXT;
