-- Cases: one open piece of work per household and team, with one director.

alter table teams add column email text;

create table cases (
    id                uuid primary key default gen_random_uuid(),
    household_id      uuid not null references households (id),
    team_id           bigint not null references teams (id),
    status            text not null default 'new'
                      check (status in ('new', 'accepted', 'contacting', 'reached', 'closed',
                                        'returned', 'declined')),
    director_id       uuid references users (id),
    outcome           text check (outcome in ('help_started', 'referred_elsewhere', 'no_help_needed',
                                              'not_reached', 'declined', 'repeat_signal', 'other')),
    stacked           boolean not null default false,
    urgency           text not null default 'normal' check (urgency in ('normal', 'high')),
    opened_at         timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    closed_at         timestamptz,
    check ((closed_at is null) = (status in ('new', 'accepted', 'contacting', 'reached')))
);
-- "One household, one plan, one director": at most one open case per household and team.
create unique index cases_one_open on cases (household_id, team_id) where closed_at is null;
create index cases_team_inbox on cases (team_id, closed_at, status);

alter table signals drop constraint signals_status_check;
alter table signals drop constraint signals_check;
alter table signals
    add constraint signals_status_check
        check (status in ('routed', 'unrouted', 'accepted', 'in_contact', 'closed', 'returned',
                          'declined')),
    add constraint signals_team_check
        check ((status in ('unrouted', 'returned')) = (team_id is null)),
    add column case_id uuid references cases (id),
    add column returned_reason text;
create index signals_case on signals (case_id);
create index signals_queue on signals (received_at) where status in ('unrouted', 'returned');

alter table events alter column signal_id drop not null;
alter table events
    add column case_id uuid references cases (id),
    add constraint events_subject check (signal_id is not null or case_id is not null);
create index events_case on events (case_id, id);

alter table api_tokens drop constraint api_tokens_role_check;
alter table api_tokens drop constraint api_tokens_check;
alter table api_tokens
    add column user_id uuid references users (id),
    add constraint api_tokens_role_check check (role in ('partner', 'admin', 'user')),
    add constraint api_tokens_owner_check check (
        (role = 'partner' and partner_id is not null and user_id is null)
        or (role = 'user' and user_id is not null and partner_id is null)
        or (role = 'admin' and partner_id is null and user_id is null));

alter table users add constraint users_team_check
    check ((role in ('member', 'lead')) = (team_id is not null));

-- Mail waiting to be sent (new signals for a team, a signal joining a director's case).
create table mail_outbox (
    id                bigint generated always as identity primary key,
    recipient         text not null,
    subject           text not null,
    body              text not null,
    created_at        timestamptz not null default now(),
    attempts          integer not null default 0,
    last_error        text,
    sent_at           timestamptz
);
create index mail_outbox_pending on mail_outbox (id) where sent_at is null;
