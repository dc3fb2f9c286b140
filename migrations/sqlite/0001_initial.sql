-- The node's first schema: merchants, products, their images, API tokens, the node's own key,
-- and the transactional outbox that the federation layer delivers from.
-- Times are integer milliseconds since the Unix epoch (UTC); flags are 0/1 integers; money is
-- integer minor units plus an ISO 4217 code. The same columns exist in ../postgres/.

create table node_settings (
    key   text primary key,
    value text not null
);

-- The node's own ActivityPub actor (/actor): a single row.
create table node_actor (
    id              integer primary key check (id = 1),
    public_key_pem  text not null,
    private_key_pem text not null,
    created_at      integer not null
);

create table merchants (
    id              text primary key,              -- UUIDv7
    slug            text unique,                    -- local merchants; never reused: rows are tombstoned
    ap_id           text not null unique,           -- ActivityPub id
    local           integer not null default 1,
    name            text not null,
    description     text,
    category        text,
    street          text,
    postal_code     text not null,
    city            text not null,
    insee_code      text,
    lat             real,
    lon             real,
    phone           text,
    email           text,
    website         text,
    opening_hours   text not null default '[]',   -- JSON array of schema.org strings
    siret           text,
    indexable       integer not null default 0,
    public_key_pem  text,
    private_key_pem text,
    version         integer not null default 1,
    created_at      integer not null,
    updated_at      integer not null,
    deleted_at      integer
);

create table products (
    id            text primary key,                -- UUIDv7, so ids sort by creation time
    merchant_id   text not null references merchants (id),
    ap_id         text not null unique,
    local         integer not null default 1,
    name          text not null,
    description   text,
    price_minor   integer not null check (price_minor >= 0),
    currency      text not null,
    unit          text not null,
    availability  text not null,
    stock         integer check (stock >= 0),
    gtin          text,
    category      text,
    tags          text not null default '[]',      -- JSON array
    search_text   text not null,                   -- lower-case, accent-free name, description, tags
    version       integer not null default 1,
    created_at    integer not null,
    updated_at    integer not null,
    deleted_at    integer
);
create index products_merchant on products (merchant_id, id);
create index products_live on products (deleted_at, id);

create table product_images (
    id          text primary key,                  -- UUIDv7
    product_id  text not null references products (id),
    position    integer not null,
    alt         text,
    width       integer not null,
    height      integer not null,
    blurhash    text not null,
    media_type  text not null,
    variants    text not null,                     -- JSON: [{name, path, width, height}]
    created_at  integer not null
);
create index product_images_product on product_images (product_id, position);

create table api_tokens (
    id           text primary key,
    name         text not null,
    token_hash   text not null unique,             -- SHA-256 of the secret, hex
    merchant_id  text references merchants (id),   -- null: node admin
    created_at   integer not null,
    revoked_at   integer
);

-- Every write others must hear about, recorded in the same transaction as the write.
create table outbox_events (
    seq          integer primary key autoincrement,
    activity_id  text not null unique,             -- UUIDv7 minting the activity's IRI
    verb         text not null,                    -- create | update | delete
    object_kind  text not null,                    -- merchant | product
    object_id    text not null,
    merchant_id  text not null references merchants (id),
    created_at   integer not null,
    processed_at integer
);
create index outbox_events_pending on outbox_events (processed_at, seq);
