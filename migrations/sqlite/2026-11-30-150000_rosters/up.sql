-- Beneficiary rosters (服务对象名册) filed with progress reports (issue 15). Keep in step with
-- the other backend. An identity number (phone or ID card) is never stored in clear:
-- id_cipher holds it encrypted under a key kept outside the database (a setting), id_hash is
-- its keyed hash for comparisons (duplicates inside a project and across the bureau), and
-- id_masked is what everyone but the evaluator sampling that person sees. The retention job
-- blanks name, id_cipher and id_masked and sets anonymised_at; counts stay.
CREATE TABLE roster_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    report_id BIGINT NOT NULL REFERENCES reports(id),
    seq INTEGER NOT NULL,
    grp TEXT NOT NULL,
    name TEXT NOT NULL,
    id_kind TEXT,
    id_cipher TEXT,
    id_hash TEXT,
    id_masked TEXT,
    first_served DATE NOT NULL,
    person_times INTEGER NOT NULL,
    anonymised_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (report_id, seq)
);
CREATE INDEX roster_entries_project_idx ON roster_entries (project_id, report_id);
CREATE INDEX roster_entries_hash_idx ON roster_entries (id_hash);
