-- FHIR referrals: what the Task's focus points at, and codes an administrator maps to kinds.

alter table signals add column fhir_focus text;

create table fhir_kind_codes (
    system            text not null,
    code              text not null,
    kind              text not null,
    created_at        timestamptz not null default now(),
    primary key (system, code)
);
