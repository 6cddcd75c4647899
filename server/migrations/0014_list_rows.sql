-- The deal list's rows (issue #14, `GET /api/opportunities?view=rows`) are
-- read from the table's columns, not the record's document: a page of 50
-- was 68.5 KB of whole records. The currency was the one thing a row shows
-- that only the document held; it is now written with the row by
-- store::opportunities::columns.
ALTER TABLE opportunities ADD COLUMN currency TEXT NOT NULL DEFAULT 'CNY';

UPDATE opportunities SET currency = json_extract(doc, '$.currency');
