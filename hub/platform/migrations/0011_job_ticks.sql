-- A scheduled job runs once per tick across all hub instances: the instance that claims the
-- tick here runs it, the others skip it (an advisory lock keeps runs from overlapping as well).
create table job_ticks (
    job               text primary key,
    tick              bigint not null,
    claimed_at        timestamptz not null default now()
);
