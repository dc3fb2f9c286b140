-- Aggregator mode: a source that makes no progress backs off, and each source reads a
-- budget of pages an hour. Same in ../sqlite/.
alter table harvest_sources add column prev_cursor text;                      -- the cursor before the last page
alter table harvest_sources add column budget_since bigint not null default 0; -- start of the hour counted
alter table harvest_sources add column budget_pages bigint not null default 0; -- pages read in it
