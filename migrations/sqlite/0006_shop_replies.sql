-- A shop's answers to replies it received: Notes published at /shops/{slug}/replies/{id}.
-- Same columns in ../postgres/.
create table shop_replies (
    id             text primary key,                -- UUIDv7
    merchant_id    text not null references merchants (id),
    interaction_id text not null references interactions (id),
    in_reply_to    text not null,                   -- the remote reply's id
    to_actor       text not null,                   -- its author
    content        text not null,                   -- the answer as typed (plain text)
    created_at     integer not null
);
create index shop_replies_merchant on shop_replies (merchant_id, id);
