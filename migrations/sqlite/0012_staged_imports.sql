-- Spreadsheet imports written in short transactions: the checked rows are staged here
-- (nothing the node shows reads these tables), then applied to the shop's products a thousand
-- at a time once the whole file was read. An import that fails before it is applied leaves
-- nothing behind; one interrupted while it is applied is finished when a node process starts
-- again (once nobody has renewed it for five minutes).
-- Same tables in ../postgres/.
create table imports (
    id          text primary key,                -- UUIDv7
    merchant_id text not null references merchants (id),
    state       text not null,                   -- staging | applying
    created_at  integer not null,
    updated_at  integer not null                 -- renewed at each batch: an import left alone is abandoned
);

create table import_rows (
    import_id   text not null references imports (id),
    line        integer not null,                -- of the file, for the report
    product_id  text not null,                   -- the product it adds (a new id) or changes
    creates     integer not null,                -- 1: adds; 0: changes; 2: equal to its product (nothing to write)
    sku         text,
    cells       text not null,                   -- the row's cells by column name (JSON)
    primary key (import_id, line)
);
create unique index import_rows_product on import_rows (import_id, product_id);
create unique index import_rows_sku on import_rows (import_id, sku) where sku is not null;
