-- Aggregator mode: a source that makes no progress backs off, and each source reads a
-- budget of pages an hour. Same in ../postgres/.
alter table harvest_sources add column prev_cursor text;                      -- the cursor before the last page
alter table harvest_sources add column budget_since integer not null default 0; -- start of the hour counted
alter table harvest_sources add column budget_pages integer not null default 0; -- pages read in it
