-- The ServiceRequest the hub serves for each referral that came as one (POST /fhir/ServiceRequest
-- or in a transaction), at /fhir/ServiceRequest/{the signal's id}. It is rebuilt from its signal,
-- so the personal data stays in one sealed copy; kept here is only what the signal does not hold,
-- none of it personal: the system of the partner's identifier, its intent and priority codes, and
-- the status it called the referral off with (revoked or entered-in-error).
create table fhir_service_requests (
    signal_id         uuid primary key references signals (id),
    identifier_system text,
    intent            text not null,
    priority          text,
    status            text not null default 'active'
                      check (status in ('active', 'revoked', 'entered-in-error')),
    created_at        timestamptz not null default now()
);

-- Referrals taken before: their Task pointed at the partner's own id (`ServiceRequest/<its id>`),
-- which the hub does not serve. Each now gets the hub's ServiceRequest, and its Task points there.
-- The identifier's system was not kept then; intent was not read (a referral is an order), and
-- the priority is the one its urgency stands for.
insert into fhir_service_requests (signal_id, intent, priority, status, created_at)
select id, 'order', case when urgency = 'high' then 'urgent' else 'routine' end,
       case when status = 'withdrawn' then 'revoked' else 'active' end, received_at
from signals
where fhir_focus like 'ServiceRequest/%';
