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

-- A deal's moves between stages, from its trail: created in a stage,
-- advanced from one to another, won (`to_stage` 'won'). Written with the
-- events (store::events::append), so stage conversion sums plain columns
-- instead of reading every event's JSON.
CREATE TABLE stage_moves (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  opportunity_id TEXT NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
  at             TEXT NOT NULL,
  from_stage     TEXT,
  to_stage       TEXT NOT NULL
) STRICT;
CREATE INDEX stage_moves_at ON stage_moves(at);
CREATE INDEX stage_moves_deal ON stage_moves(opportunity_id, seq);
INSERT INTO stage_moves (opportunity_id, at, from_stage, to_stage)
  SELECT entity_id, at, json_extract(event, '$.from'),
         COALESCE(json_extract(event, '$.to'), json_extract(event, '$.stage'), 'won')
  FROM events
  WHERE entity_type = 'opportunity'
    AND json_extract(event, '$.kind') IN ('created', 'stage_advanced', 'won')
    AND entity_id IN (SELECT id FROM opportunities)
  ORDER BY seq;
