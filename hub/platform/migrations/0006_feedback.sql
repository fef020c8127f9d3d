-- Feedback agreements, the obligations they create per signal, and feedback delivered back.

create table feedback_agreements (
    id                bigint generated always as identity primary key,
    partner_id        uuid references partners (id),
    partner_kind      text check (partner_kind in ('gp', 'housing', 'police', 'work_income', 'youth', 'other')),
    team_id           bigint references teams (id),
    step              text not null check (step in ('received', 'first_contact', 'outcome')),
    -- Working days after receipt; null: at the event itself (e.g. the outcome at closing).
    working_days      integer check (working_days between 0 and 365),
    valid_from        date,
    valid_to          date,
    created_at        timestamptz not null default now(),
    check (partner_id is null or partner_kind is null)
);

create table non_working_days (
    day               date primary key,
    reason            text not null
);

create table obligations (
    id                bigint generated always as identity primary key,
    signal_id         uuid not null references signals (id),
    step              text not null,
    agreement_id      bigint not null references feedback_agreements (id),
    due_on            date,
    met_at            timestamptz,
    reminded_at       timestamptz,
    escalated_at      timestamptz,
    created_at        timestamptz not null default now(),
    unique (signal_id, step)
);
create index obligations_open on obligations (due_on) where met_at is null;

create table partner_webhooks (
    partner_id        uuid primary key references partners (id),
    url               text not null,
    secret            text not null,
    created_at        timestamptz not null default now()
);

-- Feedback to partners, written in the transaction of the event it reports.
create table feedback_outbox (
    id                bigint generated always as identity primary key,
    signal_id         uuid not null references signals (id),
    partner_id        uuid not null references partners (id),
    step              text not null,
    payload           jsonb not null,
    created_at        timestamptz not null default now(),
    attempts          integer not null default 0,
    next_attempt_at   timestamptz not null default now(),
    delivered_at      timestamptz,
    dead_at           timestamptz,
    last_error        text
);
create index feedback_outbox_due on feedback_outbox (next_attempt_at)
    where delivered_at is null and dead_at is null;
