-- A person's own work queues: a tab of the inbox with a filter, saved under a name
-- ("Mijn zaken te laat"), listed with their counts. The filter holds codes, no personal data.
create table work_queues (
    id                uuid primary key default gen_random_uuid(),
    user_id           uuid not null references users (id) on delete cascade,
    name              text not null check (length(name) between 1 and 60),
    tab               text not null check (tab in ('new', 'mine', 'open', 'closed')),
    filter            jsonb not null default '{}',
    created_at        timestamptz not null default now()
);
-- One name a person cannot tell apart from another is one name.
create unique index work_queues_name on work_queues (user_id, lower(name));
