-- Account safety. Same tables in ../sqlite/.
--
-- Sign-up no longer takes a password: whoever opens the confirmation link (the holder of the
-- mailbox) chooses it there. A request is confirmed when its link is used; a later request for
-- the same address replaces one not confirmed yet.
alter table signup_requests add column confirmed_at bigint;
update signup_requests s set confirmed_at = s.created_at
    from users u where u.id = s.user_id and u.password_hash is not null;
alter table signup_requests drop column password_hash;
create index signup_requests_user on signup_requests (user_id);

-- Browsers where a person signed in: their device cookie (only its SHA-256 is kept) exempts
-- them from the limits strangers can run up against the address (OWASP's device cookies).
create table login_devices (
    token_hash  text primary key,
    user_id     text not null references users (id),
    created_at  bigint not null,
    expires_at  bigint not null
);
create index login_devices_user on login_devices (user_id);
