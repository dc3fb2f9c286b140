-- When a product's Create went out, the state it carried (the product's last change then):
-- its Note says `updated` only for a change after that (GoToSocial marks "edited" any status
-- whose `updated` is not before `published`). Products announced before: at creation.
-- Same in ../sqlite/.
alter table products add column announced_at bigint;
update products set announced_at = created_at where local = 1;
