-- The board's sums (issue #14): per stage, the count and amount of the
-- open deals of a pipeline that the caller may read. Each is now read from
-- an index that holds the stage and the amount, not by looking every deal
-- up in the table: a manager's board over the pipeline's open deals, a
-- rep's over their own (the deals they are staffed on come through
-- deal_members, as in the list; store::page::select_sums). 10,000 deals:
-- 9-16 ms -> under 2 ms (manager), 12 -> 2 ms (rep), SQLite on this
-- machine.
DROP INDEX opportunities_board;
CREATE INDEX opportunities_board ON opportunities(pipeline, status, stage, amount);
CREATE INDEX opportunities_owner_board
  ON opportunities(owner_id, pipeline, status, stage, amount);
