-- Reports at 100,000 deals (issue #13): what the pipeline report sums is
-- kept summed as the deals are written, by triggers, so no write path can
-- forget it, and the report reads a few hundred rows instead of every
-- open deal (2.0 s → see README's performance section).

-- The gate's word on a deal (shared::forecast::gate_debt) moves onto the
-- deal's row, valid while `gate_version` is the deal's version and
-- `gate_config` the configuration's: a derived cache, never stale, only
-- out of date (reports and the lists filtered by it bring it up to date
-- first, store::reports::refresh_gate). Writing it changes no version.
ALTER TABLE opportunities ADD COLUMN gate_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN gate_config INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN commit_ok INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN gate_kinds TEXT NOT NULL DEFAULT ',';
ALTER TABLE opportunities ADD COLUMN gate_keys TEXT NOT NULL DEFAULT '[]';
-- The forecast category the reports count the deal in, by the shared rule
-- (shared::forecast::effective: a commit the gate does not allow is best
-- case), written with the gate columns: SQL never restates the rule.
ALTER TABLE opportunities ADD COLUMN report_category TEXT NOT NULL DEFAULT 'pipeline';
-- Nothing is copied from deal_gate: every open deal is out of date here,
-- and the first report computes them all in Rust.
DROP TABLE deal_gate;
-- The open deals whose gate is out of date: by deal version (a partial
-- index of exactly those rows), by configuration version.
CREATE INDEX opportunities_gate_stale ON opportunities(status) WHERE gate_version <> version;
CREATE INDEX opportunities_gate_config ON opportunities(status, gate_config);

-- Lost reasons and competitors as columns computed from the document, so
-- the index below answers the closed-deal sections without reading it.
ALTER TABLE opportunities ADD COLUMN lost_reason TEXT
  GENERATED ALWAYS AS (TRIM(json_extract(doc, '$.lost.reason'))) VIRTUAL;
ALTER TABLE opportunities ADD COLUMN lost_competitor TEXT
  GENERATED ALWAYS AS (TRIM(json_extract(doc, '$.lost.competitor'))) VIRTUAL;
-- Closed deals in a period: every column the report sums, in the index.
-- (`id` too: a rep's reads test it against the deals they are staffed on.)
CREATE INDEX opportunities_closed_report ON opportunities(
  status, pipeline, closed_at, grade, owner_id, amount, created_at, lost_reason, lost_competitor, id);
-- Stage aging: the median entry and the stalled count per stage, from the
-- index alone.
CREATE INDEX opportunities_aging ON opportunities(
  pipeline, status, stage, stage_entered_at, owner_id, grade, id);
-- Leads created in a period.
CREATE INDEX leads_period ON leads(pipeline, created_at, status, owner_id);

-- Open deals summed by everything the report groups them by: pipeline,
-- owner, grade, stage, expected close month, the forecast category the
-- reports count them in (`report_category`) and the kinds of unmet requirement of their next move.
CREATE TABLE open_cells (
  pipeline TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  grade    TEXT NOT NULL,
  stage    TEXT NOT NULL,
  month    TEXT NOT NULL,
  category TEXT NOT NULL,
  kinds    TEXT NOT NULL,
  n        INTEGER NOT NULL,
  amount   INTEGER NOT NULL,
  PRIMARY KEY (pipeline, owner_id, grade, stage, month, category, kinds)
) STRICT, WITHOUT ROWID;
-- Open deals' unmet requirement keys, counted per pipeline, owner, grade
-- and stage.
CREATE TABLE open_keys (
  pipeline TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  grade    TEXT NOT NULL,
  stage    TEXT NOT NULL,
  key      TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (pipeline, owner_id, grade, stage, key)
) STRICT, WITHOUT ROWID;

INSERT INTO open_cells
  SELECT pipeline, owner_id, grade, stage, substr(expected_close, 1, 7), report_category,
    gate_kinds, COUNT(*), SUM(amount)
  FROM opportunities WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO open_keys
  SELECT o.pipeline, o.owner_id, o.grade, o.stage, j.value, COUNT(*)
  FROM opportunities o, json_each(o.gate_keys) j WHERE o.status = 'open' GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER open_cells_insert AFTER INSERT ON opportunities WHEN NEW.status = 'open'
BEGIN
  INSERT INTO open_cells VALUES (NEW.pipeline, NEW.owner_id, NEW.grade, NEW.stage,
    substr(NEW.expected_close, 1, 7), NEW.report_category,
    NEW.gate_kinds, 1, NEW.amount)
  ON CONFLICT (pipeline, owner_id, grade, stage, month, category, kinds)
  DO UPDATE SET n = n + excluded.n, amount = amount + excluded.amount;
  INSERT INTO open_keys
    SELECT NEW.pipeline, NEW.owner_id, NEW.grade, NEW.stage, j.value, 1
    FROM json_each(NEW.gate_keys) j WHERE true
  ON CONFLICT (pipeline, owner_id, grade, stage, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER open_cells_delete AFTER DELETE ON opportunities WHEN OLD.status = 'open'
BEGIN
  INSERT INTO open_cells VALUES (OLD.pipeline, OLD.owner_id, OLD.grade, OLD.stage,
    substr(OLD.expected_close, 1, 7), OLD.report_category,
    OLD.gate_kinds, -1, -OLD.amount)
  ON CONFLICT (pipeline, owner_id, grade, stage, month, category, kinds)
  DO UPDATE SET n = n + excluded.n, amount = amount + excluded.amount;
  INSERT INTO open_keys
    SELECT OLD.pipeline, OLD.owner_id, OLD.grade, OLD.stage, j.value, -1
    FROM json_each(OLD.gate_keys) j WHERE true
  ON CONFLICT (pipeline, owner_id, grade, stage, key) DO UPDATE SET n = n + excluded.n;
END;

-- An update takes the old row out of its cells and puts the new one in.
CREATE TRIGGER open_cells_leave AFTER UPDATE ON opportunities WHEN OLD.status = 'open'
BEGIN
  INSERT INTO open_cells VALUES (OLD.pipeline, OLD.owner_id, OLD.grade, OLD.stage,
    substr(OLD.expected_close, 1, 7), OLD.report_category,
    OLD.gate_kinds, -1, -OLD.amount)
  ON CONFLICT (pipeline, owner_id, grade, stage, month, category, kinds)
  DO UPDATE SET n = n + excluded.n, amount = amount + excluded.amount;
  INSERT INTO open_keys
    SELECT OLD.pipeline, OLD.owner_id, OLD.grade, OLD.stage, j.value, -1
    FROM json_each(OLD.gate_keys) j WHERE true
  ON CONFLICT (pipeline, owner_id, grade, stage, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER open_cells_enter AFTER UPDATE ON opportunities WHEN NEW.status = 'open'
BEGIN
  INSERT INTO open_cells VALUES (NEW.pipeline, NEW.owner_id, NEW.grade, NEW.stage,
    substr(NEW.expected_close, 1, 7), NEW.report_category,
    NEW.gate_kinds, 1, NEW.amount)
  ON CONFLICT (pipeline, owner_id, grade, stage, month, category, kinds)
  DO UPDATE SET n = n + excluded.n, amount = amount + excluded.amount;
  INSERT INTO open_keys
    SELECT NEW.pipeline, NEW.owner_id, NEW.grade, NEW.stage, j.value, 1
    FROM json_each(NEW.gate_keys) j WHERE true
  ON CONFLICT (pipeline, owner_id, grade, stage, key) DO UPDATE SET n = n + excluded.n;
END;

-- Stage conversion without a search per move: each move knows its deal's
-- pipeline, owner and grade (kept current below), whether the deal went on from the stage it entered (a later
-- move out of it, or a win from it), and when the deal last entered the
-- same stage before (so the first entry of a period counts the deal once).
ALTER TABLE stage_moves ADD COLUMN pipeline TEXT NOT NULL DEFAULT '';
ALTER TABLE stage_moves ADD COLUMN went_on INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stage_moves ADD COLUMN prev_same TEXT;
ALTER TABLE stage_moves ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE stage_moves ADD COLUMN grade TEXT NOT NULL DEFAULT '';
UPDATE stage_moves SET pipeline = o.pipeline, owner_id = o.owner_id, grade = o.grade
  FROM opportunities o WHERE o.id = stage_moves.opportunity_id;
UPDATE stage_moves AS m SET
  went_on = EXISTS (SELECT 1 FROM stage_moves x
    WHERE x.opportunity_id = m.opportunity_id AND x.seq > m.seq
      AND (x.from_stage = m.to_stage
           OR (x.to_stage = 'won' AND m.to_stage =
               (SELECT stage FROM opportunities WHERE id = m.opportunity_id)))),
  prev_same = (SELECT MAX(x.at) FROM stage_moves x
    WHERE x.opportunity_id = m.opportunity_id AND x.seq < m.seq AND x.to_stage = m.to_stage);
CREATE INDEX stage_moves_conversion ON stage_moves(
  pipeline, to_stage, at, went_on, prev_same, owner_id, grade, opportunity_id);
DROP INDEX stage_moves_at;

-- A deal is won only from its pipeline's final stage (the gate), where
-- its row still stands when the win's move is written after it.
CREATE TRIGGER stage_moves_trail AFTER INSERT ON stage_moves
BEGIN
  UPDATE stage_moves SET went_on = 1
    WHERE opportunity_id = NEW.opportunity_id AND seq < NEW.seq AND went_on = 0
      AND (to_stage = NEW.from_stage
           OR (NEW.to_stage = 'won' AND to_stage =
               (SELECT stage FROM opportunities WHERE id = NEW.opportunity_id)));
  UPDATE stage_moves SET
    pipeline = COALESCE((SELECT pipeline FROM opportunities WHERE id = NEW.opportunity_id), ''),
    owner_id = COALESCE((SELECT owner_id FROM opportunities WHERE id = NEW.opportunity_id), ''),
    grade = COALESCE((SELECT grade FROM opportunities WHERE id = NEW.opportunity_id), ''),
    prev_same = (SELECT MAX(x.at) FROM stage_moves x
      WHERE x.opportunity_id = NEW.opportunity_id AND x.seq < NEW.seq AND x.to_stage = NEW.to_stage)
    WHERE seq = NEW.seq;
END;

-- A deal's moves follow its owner and grade (conversion is reported by
-- the deal's current ones, as the list filters them).
CREATE TRIGGER stage_moves_owner AFTER UPDATE OF owner_id, grade ON opportunities
  WHEN OLD.owner_id <> NEW.owner_id OR OLD.grade <> NEW.grade
BEGIN
  UPDATE stage_moves SET owner_id = NEW.owner_id, grade = NEW.grade
    WHERE opportunity_id = NEW.id;
END;
