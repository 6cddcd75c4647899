-- The admin's configuration (issue #10): every version of the grading
-- thresholds (who set it, when), editable pipelines, the audit of changes.
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

-- Pipelines an admin edits: a write stamps a token that guards its audit row.
ALTER TABLE pipelines ADD COLUMN last_write TEXT;

-- Who changed what of the configuration and the accounts, and when
-- (`GET /api/admin/audit`, newest first). Append-only.
CREATE TABLE config_audit (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  at      TEXT NOT NULL,
  by_user TEXT NOT NULL,
  subject TEXT NOT NULL,
  summary TEXT NOT NULL
) STRICT;
