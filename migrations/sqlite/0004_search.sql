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

-- lat and lon (the shop's position, not indexed) let a "near" search check distances without
-- reading the products and merchants tables.
CREATE VIRTUAL TABLE product_search USING fts5 (
    name, keywords, shop, description, facets, lat UNINDEXED, lon UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The old LIKE-searched copy of the text is no longer read.
UPDATE products SET search_text = '';
