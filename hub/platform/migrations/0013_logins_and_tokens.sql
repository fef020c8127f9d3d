-- Logins without a lock a stranger can hold: failed attempts are throttled per client address,
-- per account and address, and per account from addresses it never logged in from; each counter
-- is keyed by an HMAC (never the address or e-mail itself). Accounts can be disabled; sessions
-- end after a while of no use; every token can expire; staff may add a second factor.

create table login_throttle (
    key               bytea primary key,
    failures          integer not null default 0,
    last_at           timestamptz not null default now(),
    blocked_until     timestamptz
);
create index login_throttle_last on login_throttle (last_at);

alter table users
    drop column failed_logins,
    drop column locked_until,
    add column known_addresses bytea[] not null default '{}',
    add column disabled_at timestamptz,
    add column totp_secret bytea,
    add column password_changed_at timestamptz not null default now();

alter table sessions add column last_seen_at timestamptz not null default now();

alter table api_tokens add column expires_at timestamptz;
