-- The deal-team role list and the registration settings are edited online
-- (issue #10): a write stamps a token that guards its audit row, as the
-- pipelines' writes do.
ALTER TABLE settings ADD COLUMN last_write TEXT;
