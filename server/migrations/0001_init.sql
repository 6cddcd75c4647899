-- Dealgate schema, step 1: bookkeeping and the grading policy.
-- D1 is the source of truth; KV only ever holds copies rebuilt from here.

-- Facts about this database: schema marks, whether the dev seed ran.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;

-- The grading thresholds (DESIGN.md §2), one row, versioned: every change
-- bumps `version` and is checked against the version the admin edited.
CREATE TABLE grading_policy (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  a_min      INTEGER NOT NULL,
  b_min      INTEGER NOT NULL,
  c_min      INTEGER NOT NULL CHECK (c_min > 0),
  currency   TEXT    NOT NULL DEFAULT 'CNY',
  version    INTEGER NOT NULL DEFAULT 1,
  updated_by TEXT,
  updated_at TEXT    NOT NULL,
  CHECK (a_min >= b_min AND b_min >= c_min)
) STRICT;

-- Defaults in fen: 5,000,000 / 1,000,000 / 300,000 CNY.
INSERT INTO grading_policy (id, a_min, b_min, c_min, currency, version, updated_by, updated_at)
VALUES (1, 500000000, 100000000, 30000000, 'CNY', 1, NULL, '2026-11-27T00:00:00Z');
