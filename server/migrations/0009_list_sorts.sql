-- The deal list sorts by amount, expected close, days in stage and grade
-- (issue #12). The expected close date joins the list columns (written
-- from the document with the others, backfilled here), and each sort has
-- an index ending in `id`, the pages' tie-breaker.
ALTER TABLE opportunities ADD COLUMN expected_close TEXT NOT NULL DEFAULT '';
UPDATE opportunities SET expected_close = COALESCE(json_extract(doc, '$.expected_close'), '');
CREATE INDEX opportunities_amount ON opportunities(amount, id);
CREATE INDEX opportunities_close ON opportunities(expected_close, id);
CREATE INDEX opportunities_stage_age ON opportunities(stage_entered_at, id);
CREATE INDEX opportunities_grade ON opportunities(grade, id);
