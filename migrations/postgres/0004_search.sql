-- Full-text search: PostgreSQL's French configuration with accents folded by unaccent (the
-- same Snowball French stemmer as the SQLite index), weighted name (A), keywords: tags and
-- category labels (B), shop name (C), description (D). The node keeps search_doc in the same
-- transaction as every write; rows that predate this migration are indexed once at start.
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'etal_fr') THEN
        CREATE TEXT SEARCH CONFIGURATION etal_fr (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION etal_fr
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;

ALTER TABLE products ADD COLUMN search_keywords text;
ALTER TABLE products ADD COLUMN search_doc tsvector;
CREATE INDEX products_search ON products USING gin (search_doc);

-- The old LIKE-searched copy of the text is no longer read.
UPDATE products SET search_text = '';
