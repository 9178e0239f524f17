-- A conversation's labels, projected from its `labeled` events like the
-- rest of the row: a JSON array of sorted slugs, '[]' for none.
ALTER TABLE conversations ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
