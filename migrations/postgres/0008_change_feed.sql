-- The open data's change feed: every change of a local product or shop that the open data
-- shows (a consent given or withdrawn included, for the shop and all its products) takes the
-- next number of one sequence; /open-data/changes?since= lists rows by (change_seq, id).
-- Triggers keep it, so no write path can forget it. Same in ../sqlite/.

alter table products add column change_seq bigint not null default 0;
alter table merchants add column change_seq bigint not null default 0;
create sequence open_data_changes;
select setval('open_data_changes', 1);
update products set change_seq = 1;
update merchants set change_seq = 1;
create index products_changes on products (change_seq, id);
create index merchants_changes on merchants (change_seq, id);

create function etal_change_seq() returns trigger language plpgsql as $$
begin
    new.change_seq := nextval('open_data_changes');
    return new;
end $$;

create trigger products_changed before insert or update of name, description, price_minor,
    currency, unit, availability, stock, gtin, category, tags, sku, merchant_id, deleted_at
    on products for each row execute function etal_change_seq();

create trigger merchants_changed before insert or update of name, description, category, street,
    postal_code, city, insee_code, lat, lon, phone, email, website, opening_hours, siret, indexable,
    deleted_at on merchants for each row execute function etal_change_seq();

-- A consent given or withdrawn, or a shop deleted: its products change too.
create function etal_consent_changed() returns trigger language plpgsql as $$
begin
    if new.indexable is distinct from old.indexable or new.deleted_at is distinct from old.deleted_at then
        update products set change_seq = nextval('open_data_changes')
            where merchant_id = new.id and deleted_at is null;
    end if;
    return null;
end $$;

create trigger merchants_consent after update of indexable, deleted_at on merchants
    for each row execute function etal_consent_changed();
