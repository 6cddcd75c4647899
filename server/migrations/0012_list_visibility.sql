-- A rep's list (issue #14) reads the deals they own in the list's order
-- straight from an index, whatever the sort or the pipeline and status
-- filters, and merges the few they are staffed on (store::page::
-- select_page): an `OR` of the two made SQLite sort every deal the rep may
-- see, documents and all, for each page.
CREATE INDEX opportunities_owner_amount ON opportunities(owner_id, amount, id);
CREATE INDEX opportunities_owner_close ON opportunities(owner_id, expected_close, id);
CREATE INDEX opportunities_owner_stage_age ON opportunities(owner_id, stage_entered_at, id);
CREATE INDEX opportunities_owner_grade ON opportunities(owner_id, grade, id);
CREATE INDEX opportunities_owner_pipeline_recent
  ON opportunities(owner_id, pipeline, status, created_at, id);
