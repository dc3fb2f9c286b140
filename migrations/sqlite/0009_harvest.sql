-- Aggregator mode: the nodes it harvests, each with its place in that node's change feed, so
-- that a restart resumes where it stopped. Same in ../postgres/.

create table harvest_sources (
    url         text primary key,          -- the node's address, e.g. https://marche.example
    actor       text,                      -- its Application actor, followed for live changes
    feed        text not null,             -- its change feed
    cursor      text not null default '0', -- the last change applied
    state       text not null default 'new', -- new | backfilling | live | down
    added_at    integer not null,
    checked_at  integer,                   -- last attempt
    synced_at   integer,                   -- last time the feed was read to its end
    next_at     integer not null default 0, -- next attempt
    failures    integer not null default 0, -- failed attempts in a row
    last_error  text,
    changes     integer not null default 0  -- changes applied in all
);

create index products_origin_live on products (origin, deleted_at);
-- National search: a commune's shops (its point, the facet by town).
create index merchants_insee on merchants (insee_code);

-- Mirrored rows are not part of this node's own open data: the change counter skips them
-- (an aggregator writes hundreds of thousands).
drop trigger products_changed_insert;
drop trigger products_changed_update;
drop trigger merchants_changed_insert;
drop trigger merchants_changed_update;
drop trigger merchants_consent;

create trigger products_changed_insert after insert on products when new.local = 1 begin
    update change_counter set n = n + 1 where id = 1;
    update products set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

create trigger products_changed_update after update of name, description, price_minor, currency,
    unit, availability, stock, gtin, category, tags, sku, merchant_id, deleted_at on products
when new.local = 1 begin
    update change_counter set n = n + 1 where id = 1;
    update products set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

create trigger merchants_changed_insert after insert on merchants when new.local = 1 begin
    update change_counter set n = n + 1 where id = 1;
    update merchants set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

create trigger merchants_changed_update after update of name, description, category, street,
    postal_code, city, insee_code, lat, lon, phone, email, website, opening_hours, siret, indexable,
    deleted_at on merchants when new.local = 1 begin
    update change_counter set n = n + 1 where id = 1;
    update merchants set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

-- (SQLite runs the newest trigger first: this one takes a number of its own, so the shop's
-- products never share the number of an earlier change, which a caught-up harvester has passed.)
create trigger merchants_consent after update of indexable, deleted_at on merchants
when new.local = 1 and (new.indexable is not old.indexable or new.deleted_at is not old.deleted_at) begin
    update change_counter set n = n + 1 where id = 1;
    update products set change_seq = (select n from change_counter where id = 1)
        where merchant_id = new.id and deleted_at is null;
end;

-- The facet by town: each indexed product's commune beside its FTS row id, so counting
-- matches by town reads no other table.
alter table product_search_ids add column town text;
update product_search_ids set town = (select m.insee_code from products p
    join merchants m on m.id = p.merchant_id where p.id = product_search_ids.product_id);
