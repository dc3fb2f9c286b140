-- Several aggregator processes on one database (PostgreSQL's case; kept alike here): a
-- source is read by one of them at a time, the one holding its lease (until lease_until, in
-- ms; 0 when none does), named by lease_owner.
alter table harvest_sources add column lease_until bigint not null default 0;
alter table harvest_sources add column lease_owner text;
