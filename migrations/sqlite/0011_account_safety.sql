-- Account safety. Same tables in ../postgres/.
--
-- Sign-up no longer takes a password: whoever opens the confirmation link (the holder of the
-- mailbox) chooses it there. A request is confirmed when its link is used; a later request for
-- the same address replaces one not confirmed yet.
create table signup_requests_new (
    id           text primary key,               -- UUIDv7
    user_id      text not null references users (id),
    shop_name    text not null,
    postal_code  text not null,
    city         text not null,
    message      text,
    created_at   integer not null,
    confirmed_at integer,                        -- when the confirmation link was used
    decided_at   integer,
    decision     text,                           -- approved | refused
    merchant_id  text references merchants (id)  -- the shop made on approval
);
insert into signup_requests_new
    (id, user_id, shop_name, postal_code, city, message, created_at, confirmed_at, decided_at, decision, merchant_id)
select s.id, s.user_id, s.shop_name, s.postal_code, s.city, s.message, s.created_at,
       case when u.password_hash is not null then s.created_at end,
       s.decided_at, s.decision, s.merchant_id
from signup_requests s join users u on u.id = s.user_id;
drop table signup_requests;
alter table signup_requests_new rename to signup_requests;
create index signup_requests_pending on signup_requests (decided_at, created_at);
create index signup_requests_user on signup_requests (user_id);

-- Browsers where a person signed in: their device cookie (only its SHA-256 is kept) exempts
-- them from the limits strangers can run up against the address (OWASP's device cookies).
create table login_devices (
    token_hash  text primary key,
    user_id     text not null references users (id),
    created_at  integer not null,
    expires_at  integer not null
);
create index login_devices_user on login_devices (user_id);
