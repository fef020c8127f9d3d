-- Teams, partners and their API tokens, routing rules, households, signals, events.

create table teams (
    id                bigint generated always as identity primary key,
    code              text not null unique check (code ~ '^[A-Z0-9][A-Z0-9-]{0,63}$'),
    name              text not null,
    municipality_code text not null check (municipality_code ~ '^GM[0-9]{4}$'),
    municipality      text not null,
    created_at        timestamptz not null default now()
);

create table partners (
    id                uuid primary key default gen_random_uuid(),
    name              text not null unique,
    kind              text not null
                      check (kind in ('gp', 'housing', 'police', 'work_income', 'youth', 'other')),
    created_at        timestamptz not null default now()
);

-- Tokens are random 256-bit secrets, so a SHA-256 digest is enough to store them safely;
-- the token itself is shown once and never kept.
create table api_tokens (
    id                uuid primary key default gen_random_uuid(),
    token_sha256      bytea not null unique,
    role              text not null check (role in ('partner', 'admin')),
    partner_id        uuid references partners (id),
    created_at        timestamptz not null default now(),
    last_used_at      timestamptz,
    revoked_at        timestamptz,
    check ((role = 'partner') = (partner_id is not null))
);

create table routing_rules (
    id                bigint generated always as identity primary key,
    postcode          text not null check (postcode ~ '^[1-9][0-9]{3}([A-Z]{2})?$'),
    house_number_from integer check (house_number_from between 1 and 99999),
    house_number_to   integer check (house_number_to between 1 and 99999),
    parity            text check (parity in ('even', 'odd')),
    team_id           bigint not null references teams (id),
    valid_from        date,
    valid_to          date,
    source_line       integer
);
create index routing_rules_postcode on routing_rules (postcode);

-- The household is the address key; signals about one address belong together.
create table households (
    id                uuid primary key default gen_random_uuid(),
    postcode          text not null check (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
    house_number      integer not null check (house_number between 1 and 99999),
    house_letter      text not null default '',
    addition          text not null default '',
    created_at        timestamptz not null default now(),
    unique (postcode, house_number, house_letter, addition)
);

create table signals (
    id                uuid primary key default gen_random_uuid(),
    partner_id        uuid not null references partners (id),
    external_ref      text not null,
    payload_sha256    bytea not null,
    kind              text not null,
    urgency           text not null check (urgency in ('normal', 'high')),
    household_id      uuid not null references households (id),
    person_name       text,
    person_birth_date date,
    resident_informed boolean not null,
    not_informed_reason text,
    description       text not null,
    status            text not null check (status in ('routed', 'unrouted')),
    team_id           bigint references teams (id),
    routed_by         text,
    received_at       timestamptz not null default now(),
    unique (partner_id, external_ref),
    check ((status = 'routed') = (team_id is not null))
);
create index signals_team_inbox on signals (team_id, received_at desc, id desc);
create index signals_unrouted on signals (received_at) where status = 'unrouted';

-- Append-only: what happened to a signal, by whom, when.
create table events (
    id                bigint generated always as identity primary key,
    signal_id         uuid not null references signals (id),
    kind              text not null,
    actor             text not null,
    data              jsonb not null default '{}',
    occurred_at       timestamptz not null default now()
);
create index events_signal on events (signal_id, id);

create function refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
end $$;

create trigger events_append_only before update or delete on events
    for each row execute function refuse_change();

-- Who read personal data, when and why.
create table access_log (
    id                bigint generated always as identity primary key,
    actor             text not null,
    action            text not null,
    subject           text not null,
    purpose           text not null,
    occurred_at       timestamptz not null default now()
);

create trigger access_log_append_only before update or delete on access_log
    for each row execute function refuse_change();
