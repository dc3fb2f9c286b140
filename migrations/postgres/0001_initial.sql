-- The node's first schema: merchants, products, their images, API tokens, the node's own key,
-- and the transactional outbox that the federation layer delivers from.
-- Times are bigint milliseconds since the Unix epoch (UTC); flags are 0/1 bigints (the storage
-- layer reads both databases through one interface); money is bigint minor units plus an
-- ISO 4217 code. The same columns exist in ../sqlite/.

create table node_settings (
    key   text primary key,
    value text not null
);

create table node_actor (
    id              bigint primary key check (id = 1),
    public_key_pem  text not null,
    private_key_pem text not null,
    created_at      bigint not null
);

create table merchants (
    id              text primary key,
    slug            text unique,
    ap_id           text not null unique,
    local           bigint not null default 1,
    name            text not null,
    description     text,
    category        text,
    street          text,
    postal_code     text not null,
    city            text not null,
    insee_code      text,
    lat             double precision,
    lon             double precision,
    phone           text,
    email           text,
    website         text,
    opening_hours   text not null default '[]',
    siret           text,
    indexable       bigint not null default 0,
    public_key_pem  text,
    private_key_pem text,
    version         bigint not null default 1,
    created_at      bigint not null,
    updated_at      bigint not null,
    deleted_at      bigint
);

create table products (
    id            text primary key,
    merchant_id   text not null references merchants (id),
    ap_id         text not null unique,
    local         bigint not null default 1,
    name          text not null,
    description   text,
    price_minor   bigint not null check (price_minor >= 0),
    currency      text not null,
    unit          text not null,
    availability  text not null,
    stock         bigint check (stock >= 0),
    gtin          text,
    category      text,
    tags          text not null default '[]',
    search_text   text not null,
    version       bigint not null default 1,
    created_at    bigint not null,
    updated_at    bigint not null,
    deleted_at    bigint
);
create index products_merchant on products (merchant_id, id);
create index products_live on products (deleted_at, id);

create table product_images (
    id          text primary key,
    product_id  text not null references products (id),
    position    bigint not null,
    alt         text,
    width       bigint not null,
    height      bigint not null,
    blurhash    text not null,
    media_type  text not null,
    variants    text not null,
    created_at  bigint not null
);
create index product_images_product on product_images (product_id, position);

create table api_tokens (
    id           text primary key,
    name         text not null,
    token_hash   text not null unique,
    merchant_id  text references merchants (id),
    created_at   bigint not null,
    revoked_at   bigint
);

create table outbox_events (
    seq          bigserial primary key,
    activity_id  text not null unique,
    verb         text not null,
    object_kind  text not null,
    object_id    text not null,
    merchant_id  text not null references merchants (id),
    created_at   bigint not null,
    processed_at bigint
);
create index outbox_events_pending on outbox_events (processed_at, seq);
