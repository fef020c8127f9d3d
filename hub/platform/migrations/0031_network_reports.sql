-- The nightly network report: the default window's weak links, kept so that the managers' page of
-- a network too large to analyse while someone waits (a region, a country) is served from it.
-- Names of organisations and counts only: no person, no household.

create table network_reports (
    day               date primary key,
    period_start      date not null,
    period_end        date not null,
    built_at          timestamptz not null default now(),
    seconds           double precision not null,
    partners          integer not null,
    teams             integer not null,
    edges             integer not null,
    weak_links        integer not null,
    by_kind           jsonb not null
);

create table network_report_links (
    day               date not null references network_reports (day) on delete cascade,
    place             integer not null,
    kind              text not null,
    node_a            text,
    node_b            text,
    label_a           text,
    label_b           text,
    evidence          jsonb not null,
    severity          double precision not null,
    primary key (day, place)
);

create index network_report_links_kind on network_report_links (day, kind, place);
