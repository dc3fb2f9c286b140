-- Full-text search (FTS5). Each product's name, keywords (tags, category labels), shop name
-- and description are indexed as search keys made by the node (folded, stemmed: see
-- node/src/model/search.rs), plus facet words for the filters the index answers itself.
-- FTS5 rows need integer ids: product_search_ids gives each indexed product one, in the
-- order products were first indexed (newest last). The node keeps the index in the same
-- transaction as every write; rows that predate this migration are indexed once at start.
ALTER TABLE products ADD COLUMN search_keywords text;

CREATE TABLE product_search_ids (
    n          integer primary key autoincrement,
    product_id text not null unique references products (id)
);

CREATE VIRTUAL TABLE product_search USING fts5 (
    name, keywords, shop, description, facets,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Relevance: the name counts most, then keywords, the shop, the description; facets none.
INSERT INTO product_search (product_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 3.0, 1.0, 0.0)');

-- The old LIKE-searched copy of the text is no longer read.
UPDATE products SET search_text = '';
