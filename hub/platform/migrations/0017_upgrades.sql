-- One-time upgrades of stored data that the hub carries out when it starts with its keys
-- (e.g. binding every sealed value to its row: hub.privacy.keys), each recorded once done.
create table upgrades (
    name              text primary key,
    done_at           timestamptz not null default now()
);
