-- Details that batch channels carry, repeats of an earlier signal, and CSV batches.

alter table signals
    add column arrears_amount   numeric(12, 2),
    add column arrears_since    date,
    add column client_ref       text,
    add column invitation_dates date[],
    add column repeat_of        uuid references signals (id),
    add column batch_id         uuid;

create index signals_repeat_lookup on signals (partner_id, household_id, kind, received_at desc);

create table batches (
    id                uuid primary key default gen_random_uuid(),
    partner_id        uuid not null references partners (id),
    source            text not null check (source in ('upload', 'drop_folder')),
    filename          text,
    file_sha256       bytea not null,
    profile           text not null,
    -- The file itself only until it is processed: then it is cleared.
    content           bytea,
    status            text not null default 'pending' check (status in ('pending', 'done', 'failed')),
    rows_total        integer,
    rows_accepted     integer,
    rows_refused      integer,
    rows_repeat       integer,
    rows_known        integer,
    report            jsonb not null default '[]',
    received_at       timestamptz not null default now(),
    processed_at      timestamptz,
    unique (partner_id, file_sha256)
);
create index batches_pending on batches (received_at) where status = 'pending';

alter table signals add constraint signals_batch foreign key (batch_id) references batches (id);

-- A partner's own CSV column mapping, set by an administrator.
create table batch_profiles (
    partner_id        uuid primary key references partners (id),
    profile           jsonb not null,
    updated_at        timestamptz not null default now()
);
