-- Leads, opportunities, their deal teams, audit events and pipelines (issue #5).
-- A lead or deal is stored whole as JSON (`doc`, the shared crate's type)
-- plus the columns lists filter and sort on. Every write is guarded by the
-- version (`WHERE id = ? AND version = ?`) and stamps `last_write` with a
-- fresh token, so the events of a write that lost a race are not stored.

CREATE TABLE pipelines (
  id      TEXT PRIMARY KEY NOT NULL,
  version INTEGER NOT NULL,
  doc     TEXT NOT NULL
) STRICT;

CREATE TABLE leads (
  id         TEXT PRIMARY KEY NOT NULL,
  version    INTEGER NOT NULL,
  owner_id   TEXT NOT NULL REFERENCES users(id),
  status     TEXT NOT NULL,
  pipeline   TEXT NOT NULL,
  title      TEXT NOT NULL,
  customer   TEXT NOT NULL,
  doc        TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_write TEXT NOT NULL
) STRICT;

-- Lists run newest first by (created_at, id), per owner or for everyone.
CREATE INDEX leads_recent ON leads(created_at, id);
CREATE INDEX leads_owner ON leads(owner_id, created_at, id);

CREATE TABLE opportunities (
  id               TEXT PRIMARY KEY NOT NULL,
  version          INTEGER NOT NULL,
  owner_id         TEXT NOT NULL REFERENCES users(id),
  status           TEXT NOT NULL,
  pipeline         TEXT NOT NULL,
  stage            TEXT NOT NULL,
  grade            TEXT NOT NULL,
  name             TEXT NOT NULL,
  customer         TEXT NOT NULL,
  amount           INTEGER NOT NULL,
  stage_entered_at TEXT NOT NULL,
  doc              TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  last_write       TEXT NOT NULL
) STRICT;

CREATE INDEX opportunities_recent ON opportunities(created_at, id);
CREATE INDEX opportunities_owner ON opportunities(owner_id, created_at, id);
-- Lists filtered by pipeline and status (the board's data), newest first.
CREATE INDEX opportunities_pipeline_recent ON opportunities(pipeline, status, created_at, id);
-- The board: one pipeline's open deals, by stage.
CREATE INDEX opportunities_board ON opportunities(pipeline, status, stage);

-- Who is on which deal team: reps see the deals they are staffed on.
CREATE TABLE deal_members (
  opportunity_id TEXT NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
  user_id        TEXT NOT NULL,
  role           TEXT NOT NULL,
  PRIMARY KEY (opportunity_id, user_id, role)
) STRICT;

CREATE INDEX deal_members_user ON deal_members(user_id);

-- The audit trail of leads and deals, append-only.
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_type TEXT NOT NULL CHECK (entity_type IN ('lead', 'opportunity')),
  entity_id   TEXT NOT NULL,
  at          TEXT NOT NULL,
  by_user     TEXT NOT NULL,
  event       TEXT NOT NULL
) STRICT;

CREATE INDEX events_entity ON events(entity_type, entity_id, seq);
