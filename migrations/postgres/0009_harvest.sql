-- Aggregator mode: the nodes it harvests, each with its place in that node's change feed, so
-- that a restart resumes where it stopped. Same in ../sqlite/.

create table harvest_sources (
    url         text primary key,
    actor       text,
    feed        text not null,
    cursor      text not null default '0',
    state       text not null default 'new',
    added_at    bigint not null,
    checked_at  bigint,
    synced_at   bigint,
    next_at     bigint not null default 0,
    failures    bigint not null default 0,
    last_error  text,
    changes     bigint not null default 0
);

create index products_origin_live on products (origin, deleted_at);
-- National search: a commune's shops (its point, the facet by town).
create index merchants_insee on merchants (insee_code);

-- Mirrored rows are not part of this node's own open data: the change counter skips them
-- (an aggregator writes hundreds of thousands).
drop trigger products_changed on products;
drop trigger merchants_changed on merchants;
drop trigger merchants_consent on merchants;

create trigger products_changed before insert or update of name, description, price_minor,
    currency, unit, availability, stock, gtin, category, tags, sku, merchant_id, deleted_at
    on products for each row when (new.local = 1) execute function etal_change_seq();

create trigger merchants_changed before insert or update of name, description, category, street,
    postal_code, city, insee_code, lat, lon, phone, email, website, opening_hours, siret, indexable,
    deleted_at on merchants for each row when (new.local = 1) execute function etal_change_seq();

create trigger merchants_consent after update of indexable, deleted_at on merchants
    for each row when (new.local = 1) execute function etal_consent_changed();

-- The change feed serves changes in the order of their numbers, but a sequence hands numbers
-- out in the order transactions ask, not the order they commit: a long import holding numbers
-- 100–2100 commits after a quick edit numbered 2101, and a harvester that read up to 2101
-- would never see the import. So each transaction that numbers a change first holds, until it
-- ends, a shared advisory lock whose key carries the lowest number it can get (keys 2^62 +
-- schema hash × 2^40 + number); the feed serves only numbers below the lowest such key held
-- (db/changes.rs), and so never passes a change that is still to commit.
create function etal_claim_change() returns void language plpgsql as $$
declare
    claimed text := current_setting('etal.change_claim', true);
    lowest bigint;
begin
    if claimed is null or claimed = '' then
        select last_value into lowest from open_data_changes;
        perform pg_advisory_xact_lock_shared(etal_claim_key(lowest));
        perform set_config('etal.change_claim', lowest::text, true);
    end if;
end $$;

create function etal_claim_key(n bigint) returns bigint language sql stable as $$
    select 4611686018427387904 + ((hashtext(current_schema()) & 1048575)::bigint << 40) + n
$$;

create or replace function etal_change_seq() returns trigger language plpgsql as $$
begin
    perform etal_claim_change();
    new.change_seq := nextval('open_data_changes');
    return new;
end $$;

create or replace function etal_consent_changed() returns trigger language plpgsql as $$
begin
    if new.indexable is distinct from old.indexable or new.deleted_at is distinct from old.deleted_at then
        perform etal_claim_change();
        update products set change_seq = nextval('open_data_changes')
            where merchant_id = new.id and deleted_at is null;
    end if;
    return null;
end $$;
