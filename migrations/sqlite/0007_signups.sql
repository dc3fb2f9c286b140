-- Shopkeepers who signed up themselves, waiting for the admin's approval (when the admin
-- opened sign-up). Same columns in ../postgres/.
create table signup_requests (
    id           text primary key,               -- UUIDv7
    user_id      text not null references users (id),
    shop_name    text not null,
    postal_code  text not null,
    city         text not null,
    message      text,
    password_hash text not null,                 -- set on the account once the address is confirmed
    created_at   integer not null,
    decided_at   integer,
    decision     text,                           -- approved | refused
    merchant_id  text references merchants (id)  -- the shop made on approval
);
create index signup_requests_pending on signup_requests (decided_at, created_at);
