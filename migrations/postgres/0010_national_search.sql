-- National search near a point reads the shops within the circle first, then their products
-- (a word found in 10,000 products is otherwise read 10,000 times to keep a few hundred).
create index merchants_position on merchants (lat, lon) where deleted_at is null;

-- Several aggregator processes on one database: a source is read by one of them at a time,
-- the one holding its lease (until lease_until, in ms; 0 when none does), named by
-- lease_owner.
alter table harvest_sources add column lease_until bigint not null default 0;
alter table harvest_sources add column lease_owner text;
