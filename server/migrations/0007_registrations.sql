-- Partner deal registrations (issue #11): the public form's submissions,
-- keyed for the partner by the SHA-256 of a 256-bit reference (the
-- reference itself is never stored), reviewed by channel managers.
CREATE TABLE registrations (
  id             TEXT PRIMARY KEY NOT NULL,
  reference_hash TEXT NOT NULL UNIQUE,
  version        INTEGER NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'expired', 'withdrawn')),
  submitted_at   TEXT NOT NULL,
  -- The registration as validated, its conflicts at submission and its decision.
  doc            TEXT NOT NULL,
  last_write     TEXT
) STRICT;

CREATE INDEX registrations_queue ON registrations(status, submitted_at);

-- Fixed-window counters (the public form's rate limit per client address):
-- one upsert that answers the new count, never a read-modify-write.
CREATE TABLE rate_counters (
  key     TEXT NOT NULL,
  slot    INTEGER NOT NULL,
  count   INTEGER NOT NULL,
  PRIMARY KEY (key, slot)
) STRICT;
