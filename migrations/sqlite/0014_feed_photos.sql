-- A product's photos changing (its version bumped) is a change of the open data too: its
-- images are in the dumps and the change feed. Same in ../postgres/.
drop trigger products_changed_update;
create trigger products_changed_update after update of name, description, price_minor, currency,
    unit, availability, stock, gtin, category, tags, sku, merchant_id, deleted_at, version on products
when new.local = 1 begin
    update change_counter set n = n + 1 where id = 1;
    update products set change_seq = (select n from change_counter where id = 1) where rowid = new.rowid;
end;
