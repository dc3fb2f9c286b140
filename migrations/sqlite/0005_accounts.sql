-- People who sign in: node admins, shop owners and shop staff; their sessions, the links
-- mailed to them (invitations, password resets), the login throttle; the admin's domain
-- blocks and moderation; product SKUs for spreadsheet imports. Same columns in ../postgres/.

create table users (
    id            text primary key,              -- UUIDv7
    email         text not null unique,          -- lower-case
    password_hash text,                          -- argon2id PHC string; null until the invitation is accepted
    admin         integer not null default 0,
    created_at    integer not null,
    disabled_at   integer
);

-- Who works for which shop: owner (everything about the shop) or staff (its products).
create table memberships (
    user_id     text not null references users (id),
    merchant_id text not null references merchants (id),
    role        text not null,                   -- owner | staff
    created_at  integer not null,
    primary key (user_id, merchant_id)
);
create index memberships_merchant on memberships (merchant_id);

-- Signed-in browsers. Only the SHA-256 of the cookie's secret is stored.
create table sessions (
    id_hash     text primary key,
    user_id     text not null references users (id),
    csrf        text not null,                   -- the token every form of the session carries
    user_agent  text,
    created_at  integer not null,
    seen_at     integer not null,
    expires_at  integer not null
);
create index sessions_user on sessions (user_id);

-- One-time links: invitations (set a first password) and password resets.
create table user_links (
    token_hash  text primary key,                -- SHA-256 of the link's secret
    kind        text not null,                   -- invite | reset
    user_id     text not null references users (id),
    created_at  integer not null,
    expires_at  integer not null,
    used_at     integer
);
create index user_links_user on user_links (user_id);

-- Failed sign-ins per e-mail address and per client address, with the back-off they earned.
create table login_throttle (
    key           text primary key,              -- email:… | ip:…
    failures      integer not null,
    blocked_until integer not null,
    updated_at    integer not null
);

-- Remote domains the admin blocked: their activities are refused, nothing is sent to them.
create table domain_blocks (
    host        text primary key,
    reason      text,
    created_at  integer not null
);

-- Replies the admin hid from the shop's panel.
alter table interactions add column hidden_at integer;

-- A merchant's own product reference, matched by spreadsheet imports.
alter table products add column sku text;
create unique index products_sku on products (merchant_id, sku) where sku is not null and deleted_at is null;

-- A suspended shop keeps its data but its people cannot sign in to it and its pages are gone.
alter table merchants add column suspended_at integer;
