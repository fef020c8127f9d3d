-- People who log in (partner users now; team roles follow) and their sessions.

create table users (
    id                uuid primary key default gen_random_uuid(),
    email             text not null,
    password_hash     text not null,
    role              text not null
                      check (role in ('partner', 'member', 'lead', 'coordinator', 'manager', 'admin')),
    partner_id        uuid references partners (id),
    team_id           bigint references teams (id),
    failed_logins     integer not null default 0,
    locked_until      timestamptz,
    created_at        timestamptz not null default now(),
    check ((role = 'partner') = (partner_id is not null))
);
create unique index users_email on users (lower(email));

-- The cookie holds a random token; only its digest is stored.
create table sessions (
    token_sha256      bytea primary key,
    user_id           uuid not null references users (id) on delete cascade,
    csrf_token        text not null,
    created_at        timestamptz not null default now(),
    expires_at        timestamptz not null
);
create index sessions_user on sessions (user_id);
