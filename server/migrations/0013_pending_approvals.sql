-- The approvals inbox, and the badge every page's menu shows (issue #14):
-- the deals with an approval waiting were found by reading every open
-- deal's document (`json_each` over its approvals), ~150 ms at 10,000 deals
-- on every page load, holding up the page's own read behind it. Each deal's
-- row now says how many of its approvals wait (written with the row by
-- store::opportunities::columns), and a partial index holds only those
-- deals, oldest first.
ALTER TABLE opportunities ADD COLUMN pending_approvals INTEGER NOT NULL DEFAULT 0;

UPDATE opportunities SET pending_approvals = (
  SELECT COUNT(*) FROM json_each(doc, '$.approvals')
  WHERE json_extract(value, '$.status') = 'pending');

CREATE INDEX opportunities_pending_approvals ON opportunities(created_at, id)
  WHERE status = 'open' AND pending_approvals > 0;
