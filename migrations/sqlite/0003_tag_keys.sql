-- Tags folded for matching (lower case, accents removed), one per line with a newline before
-- and after each: a tag search is then an exact, Unicode-aware match rather than a LIKE over
-- the JSON of the tags. Rows written before this column are filled in at start.
ALTER TABLE products ADD COLUMN tag_keys text;
