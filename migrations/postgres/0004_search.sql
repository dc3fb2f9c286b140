-- Full-text search: PostgreSQL's French configuration with accents folded by unaccent (the
-- same Snowball French stemmer as the SQLite index), weighted name (A), keywords: tags and
-- category labels (B), shop name (C), description (D). The node keeps search_doc in the same
-- transaction as every write; rows that predate this migration are indexed once at start.
-- Both live in the database's public schema, shared by every schema of the database (the
-- node's tables may live in another one); the lock makes concurrent migrations of one
-- database wait for each other. unaccent is a trusted extension: the database owner may
-- create it.
SELECT pg_advisory_xact_lock(7426010);
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config
                   WHERE cfgname = 'etal_fr' AND cfgnamespace = 'public'::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION public.etal_fr (COPY = pg_catalog.french);
        ALTER TEXT SEARCH CONFIGURATION public.etal_fr
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.french_stem;
    END IF;
END
$$;

ALTER TABLE products ADD COLUMN search_keywords text;
ALTER TABLE products ADD COLUMN search_doc tsvector;
CREATE INDEX products_search ON products USING gin (search_doc);

-- The old LIKE-searched copy of the text is no longer read.
UPDATE products SET search_text = '';

-- Counts the committed writes that pages show: node processes sharing this database compare
-- it before serving a page they keep rendered (see node/src/http/cache.rs).
CREATE SEQUENCE etal_changes;
