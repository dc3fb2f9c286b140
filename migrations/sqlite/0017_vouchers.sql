-- Town vouchers: campaigns (face value, price, budget, dates, who may get one), the shops that
-- take part, the addresses entitled (an imported list), requests waiting for their e-mail
-- confirmation, vouchers (a code behind 80 random bits; the balance is the face value minus
-- the redemptions, kept in integer cents), redemptions (which shop, who, how much, when; a shop
-- may cancel its own for a short while) and what the town reimbursed each shop.
-- Same in ../postgres/.
create table voucher_campaigns (
    id             text primary key,             -- UUIDv7
    name           text not null,
    face_minor     integer not null check (face_minor > 0),
    price_minor    integer not null check (price_minor >= 0),
    currency       text not null,
    quantity       integer not null check (quantity > 0),
    issue_from     integer not null,
    issue_until    integer not null,
    valid_until    integer not null,
    eligibility    text not null,               -- anyone one_per_email postal_codes list
    postal_codes   text not null default '[]',  -- JSON array
    created_at     integer not null
);

create table voucher_campaign_shops (
    campaign_id  text not null references voucher_campaigns (id),
    merchant_id  text not null references merchants (id),
    state        text not null,                 -- invited accepted left
    updated_at   integer not null,
    primary key (campaign_id, merchant_id)
);

create table voucher_entitled (
    campaign_id  text not null references voucher_campaigns (id),
    email        text not null,
    primary key (campaign_id, email)
);

create table voucher_requests (
    secret_hash  text primary key,
    campaign_id  text not null references voucher_campaigns (id),
    email        text not null,
    postal_code  text,
    lang         text not null,
    created_at   integer not null,
    used_at      integer
);

create table vouchers (
    id             text primary key,            -- UUIDv7
    campaign_id    text not null references voucher_campaigns (id),
    code           text not null unique,        -- 16 characters of 5 bits, no look-alikes, plus a check character
    holder_secret  text not null unique,        -- the holder's private page
    email          text not null,
    face_minor     integer not null,
    balance_minor  integer not null check (balance_minor >= 0),
    state          text not null,               -- awaiting_payment issued
    payment_ref    text,
    created_at     integer not null,
    issued_at      integer
);
create index vouchers_campaign on vouchers (campaign_id, state);
create index vouchers_email on vouchers (campaign_id, email);

create table voucher_redemptions (
    id             text primary key,            -- UUIDv7
    voucher_id     text not null references vouchers (id),
    campaign_id    text not null references voucher_campaigns (id),
    merchant_id    text not null references merchants (id),
    by_whom        text not null,
    amount_minor   integer not null check (amount_minor > 0),
    created_at     integer not null,
    cancelled_at   integer
);
create index voucher_redemptions_voucher on voucher_redemptions (voucher_id);
create index voucher_redemptions_shop on voucher_redemptions (campaign_id, merchant_id, created_at);

create table voucher_reimbursements (
    id            text primary key,
    campaign_id   text not null references voucher_campaigns (id),
    merchant_id   text not null references merchants (id),
    amount_minor  integer not null,
    reference     text not null,
    reimbursed_at integer not null,
    up_to         integer not null              -- redemptions made before this time are covered
);
