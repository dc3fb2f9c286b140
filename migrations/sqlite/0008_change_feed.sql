-- The open data's change feed: every change of a local product or shop that the open data
-- shows (a consent given or withdrawn included, for the shop and all its products) takes the
-- next number of one counter; /open-data/changes?since= lists rows by (change_seq, id).
-- Triggers keep it, so no write path can forget it. Same in ../postgres/.

alter table products add column change_seq integer not null default 0;
alter table merchants add column change_seq integer not null default 0;
create table change_counter (
    id integer primary key check (id = 1),
    n  integer not null
);
insert into change_counter (id, n) values (1, 1);
update products set change_seq = 1;
update merchants set change_seq = 1;
create index products_changes on products (change_seq, id);
create index merchants_changes on merchants (change_seq, id);

create trigger products_changed_insert after insert on products begin
    update change_counter set n = n + 1 where id = 1;
    update products set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

create trigger products_changed_update after update of name, description, price_minor, currency,
    unit, availability, stock, gtin, category, tags, sku, merchant_id, deleted_at on products begin
    update change_counter set n = n + 1 where id = 1;
    update products set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

create trigger merchants_changed_insert after insert on merchants begin
    update change_counter set n = n + 1 where id = 1;
    update merchants set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

create trigger merchants_changed_update after update of name, description, category, street,
    postal_code, city, insee_code, lat, lon, phone, email, website, opening_hours, siret, indexable,
    deleted_at on merchants begin
    update change_counter set n = n + 1 where id = 1;
    update merchants set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;

-- A consent given or withdrawn, or a shop deleted: its products change too.
create trigger merchants_consent after update of indexable, deleted_at on merchants
when new.indexable is not old.indexable or new.deleted_at is not old.deleted_at begin
    update products set change_seq = (select n from change_counter where id = 1)
        where merchant_id = new.id and deleted_at is null;
end;
