-- The working-day calendar the admin maintains (statutory holidays and 调休 make-up days).
-- Empty means the shipped defaults. Keep in step with the other backend.
CREATE TABLE holidays (
    day DATE PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL
);
