-- Click & collect: a shop's reservation settings, reservations and their lines (prices frozen
-- when reserved), the notices each step sends (mail, or a message to a fediverse actor), and
-- the contacts a shop blocked. Customers' details live only here: never in open data, dumps,
-- the change feed or published documents; they are purged a while after a reservation ends.
-- Same in ../sqlite/.
create table reservation_settings (
    merchant_id          text primary key references merchants (id),
    enabled              bigint not null default 0,
    preparation_minutes  bigint not null default 60,
    slot_minutes         bigint not null default 30,
    slot_capacity        bigint not null default 4,
    grace_minutes        bigint not null default 60,
    excluded_products    text not null default '[]',   -- JSON array of product ids not reservable
    updated_at           bigint not null
);

create table reservations (
    id              text primary key,            -- 144 random bits, base64url: the status page's address
    seq             bigint not null,            -- a short number the shop reads out, per shop
    merchant_id     text not null references merchants (id),
    status          text not null,               -- requested accepted declined ready collected cancelled expired
    pickup_start    bigint not null,
    pickup_end      bigint not null,
    customer_name   text,
    customer_email  text,
    customer_phone  text,
    customer_actor  text,                        -- a fediverse customer (FEP-0837 Offer)
    offer_id        text,                        -- the Offer's id
    contact_key     text not null,               -- folded e-mail, phone or actor: limits and blocks
    note            text,
    message         text,                        -- the shop's word with its answer (partial, decline)
    lang            text not null,
    currency        text not null,
    total_minor     bigint not null,
    created_at      bigint not null,
    updated_at      bigint not null,
    ended_at        bigint,
    purged_at       bigint
);
create unique index reservations_number on reservations (merchant_id, seq);
create index reservations_shop on reservations (merchant_id, status, created_at);
create index reservations_slot on reservations (merchant_id, pickup_start);
create index reservations_open on reservations (status, pickup_end);
create index reservations_contact on reservations (contact_key, status);
create index reservations_ended on reservations (ended_at);

create table reservation_lines (
    reservation_id  text not null references reservations (id),
    position        bigint not null,
    product_id      text not null references products (id),
    name            text not null,
    unit            text not null,
    unit_price_minor bigint not null,
    quantity        bigint not null check (quantity > 0),
    accepted        bigint,                     -- what the shop accepted; null until it answers
    primary key (reservation_id, position)
);

create table reservation_notices (
    seq             bigserial primary key,
    reservation_id  text not null references reservations (id),
    step            text not null,               -- new (to the shop), requested accepted declined ready collected cancelled expired (to the customer)
    created_at      bigint not null,
    next_try_at     bigint not null,
    attempts        bigint not null default 0,
    done_at         bigint
);
create index reservation_notices_due on reservation_notices (done_at, next_try_at);

create table reservation_blocks (
    merchant_id  text not null references merchants (id),
    contact_key  text not null,
    created_at   bigint not null,
    primary key (merchant_id, contact_key)
);
