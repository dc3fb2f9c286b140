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
