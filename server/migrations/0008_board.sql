-- The board (issue #12): each column is one stage's open deals of one
-- pipeline, newest first, read a page at a time; this index serves the
-- page without a sort, and the per-stage counts and sums.
CREATE INDEX opportunities_board_recent
  ON opportunities(pipeline, status, stage, created_at, id);
