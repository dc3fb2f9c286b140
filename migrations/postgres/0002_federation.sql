-- Federation: remote actors we know, who follows whom, what we received, and the persistent
-- delivery queue (one row per activity and distinct inbox, claimed with a lease).

create table remote_actors (
    ap_id          text primary key,
    kind           text not null,
    preferred_username text,
    name           text,
    inbox          text not null,
    shared_inbox   text,
    key_id         text,
    public_key_pem text not null,
    url            text,
    document       text not null,            -- the verified actor document, JSON
    fetched_at     bigint not null,
    deleted_at     bigint
);
create index remote_actors_key on remote_actors (key_id);

-- Remote actors following a local actor: `local_actor` is 'node' or a merchant id.
create table followers (
    local_actor     text not null,
    follower        text not null references remote_actors (ap_id),
    follow_activity text,
    created_at      bigint not null,
    primary key (local_actor, follower)
);

-- Actors this node's own actor follows (other nodes, aggregators' relays).
create table follows (
    target          text primary key,        -- the remote actor's id
    follow_activity text not null unique,
    state           text not null,           -- pending | accepted | rejected
    created_at      bigint not null,
    accepted_at     bigint,
    backfilled_at   bigint
);

-- Activity ids already processed: a redelivery is acknowledged and ignored.
create table received_activities (
    id          text primary key,
    received_at bigint not null
);

-- Likes, boosts and replies that merchants received.
create table interactions (
    id           text primary key,             -- UUIDv7
    activity_id  text not null unique,
    kind         text not null,                -- like | announce | reply
    merchant_id  text not null references merchants (id),
    product_id   text references products (id),
    actor        text not null,
    object_id    text,                         -- the reply's own id
    content      text,                         -- sanitised HTML of a reply
    url          text,
    created_at   bigint not null
);
create index interactions_merchant on interactions (merchant_id, id);

-- Mirrored remote merchants and products keep their origin.
alter table merchants add column origin text;
alter table merchants add column handle text;
alter table products add column origin text;
alter table products add column url text;
create index products_origin on products (local, deleted_at, id);

-- Rendered activities waiting for delivery, signed by `signer` ('node' or a merchant id).
create table outgoing_activities (
    id          text primary key,             -- the activity IRI
    signer      text not null,
    body        text not null,
    created_at  bigint not null
);

create table deliveries (
    id            bigserial primary key,
    activity_id   text not null references outgoing_activities (id),
    inbox         text not null,
    host          text not null,                -- scheme://host:port of the inbox
    created_at    bigint not null,
    attempts      bigint not null default 0,
    locked_by     text,
    locked_until  bigint,
    last_error    text,
    unique (activity_id, inbox)
);
create index deliveries_host on deliveries (host, id);

-- Per-host delivery health: back-off after failures, "down" after days of them.
create table hosts (
    host             text primary key,
    failures         bigint not null default 0,
    failing_since    bigint,
    next_attempt_at  bigint not null default 0,
    down_since       bigint,
    last_success_at  bigint,
    last_error       text
);

-- Delivery workers announce they are alive; leases of a worker that stopped (a killed
-- process) are taken over once its heartbeat is stale, without waiting for the lease to end.
create table workers (
    id           text primary key,
    heartbeat_at bigint not null
);
