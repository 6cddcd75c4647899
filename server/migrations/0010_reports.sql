-- Reports and forecast (issue #13).
-- The forecast category a rep chose and the time a deal closed join the
-- list columns (written from the document with the others, backfilled
-- here), so the reports sum them in SQL without reading documents.
ALTER TABLE opportunities ADD COLUMN forecast TEXT NOT NULL DEFAULT 'pipeline';
ALTER TABLE opportunities ADD COLUMN closed_at TEXT NOT NULL DEFAULT '';
UPDATE opportunities SET
  forecast = COALESCE(json_extract(doc, '$.forecast'), 'pipeline'),
  closed_at = COALESCE(json_extract(doc, '$.closed_at'), '');
-- Won and lost in a period, by close time.
CREATE INDEX opportunities_closed ON opportunities(status, closed_at);
-- Open deals by expected close month (the forecast).
CREATE INDEX opportunities_open_close ON opportunities(pipeline, status, expected_close);

-- Stage conversion reads the stage entries of a period from the trail.
CREATE INDEX events_kind_at ON events(entity_type, json_extract(event, '$.kind'), at);

-- What the gate says of each open deal (shared::forecast::gate_debt), as
-- of the deal's version and the configuration's version: a row is valid
-- only while both still match, so it is never stale, only missing. The
-- reports (and lists filtered by it) compute the missing rows first.
--   kinds: ',field,task,' (each kind of unmet requirement of the next move)
--   keys:  '["field:decision_chain","task:initiation_report"]'
CREATE TABLE deal_gate (
  opportunity_id TEXT PRIMARY KEY NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
  deal_version   INTEGER NOT NULL,
  config_version INTEGER NOT NULL,
  commit_ok      INTEGER NOT NULL,
  kinds          TEXT NOT NULL,
  keys           TEXT NOT NULL
) STRICT;
