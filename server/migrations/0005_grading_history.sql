-- Every version of the grading thresholds (issue #10): who set it, when.
-- `grading_policy` keeps the one in force; a change writes both in one
-- batch, stamped with a fresh `last_write` token that guards the regrade
-- of the open deals in the same batch.
CREATE TABLE grading_history (
  version    INTEGER PRIMARY KEY NOT NULL,
  a_min      INTEGER NOT NULL,
  b_min      INTEGER NOT NULL,
  c_min      INTEGER NOT NULL,
  currency   TEXT    NOT NULL,
  updated_by TEXT,
  updated_at TEXT    NOT NULL
) STRICT;

INSERT INTO grading_history (version, a_min, b_min, c_min, currency, updated_by, updated_at)
SELECT version, a_min, b_min, c_min, currency, updated_by, updated_at FROM grading_policy;

ALTER TABLE grading_policy ADD COLUMN last_write TEXT;

-- The regrade reads every open deal: by status, newest first.
CREATE INDEX opportunities_open ON opportunities(status, created_at, id);
