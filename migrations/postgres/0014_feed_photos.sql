-- A product's photos changing (its version bumped) is a change of the open data too: its
-- images are in the dumps and the change feed. Same in ../sqlite/.
drop trigger products_changed on products;
create trigger products_changed before insert or update of name, description, price_minor,
    currency, unit, availability, stock, gtin, category, tags, sku, merchant_id, deleted_at, version
    on products for each row when (new.local = 1) execute function etal_change_seq();
