-- Retention: personal data of closed cases is removed after a configured period (hub/retention.py).
-- What was removed is recorded without the content.

create table retention_runs (
    id                bigint generated always as identity primary key,
    ran_at            timestamptz not null default now(),
    as_of             timestamptz not null,
    kind              text not null,
    outcome           text,
    period_days       integer not null,
    signals           integer not null,
    households        integer not null
);

alter table signals add column pseudonymised_at timestamptz;

-- History stays append-only, with one narrow exception enforced here: an event's sealed note
-- (`reason_sealed`, a team's free text) may be re-encrypted or removed, and a plain `reason`
-- left by older versions removed. Nothing else about an event may change, and none may go.
create or replace function events_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE'
       and (new.data - 'reason_sealed') = (old.data - 'reason' - 'reason_sealed')
       and (new.id, new.signal_id, new.case_id, new.kind, new.actor, new.occurred_at)
           is not distinct from
           (old.id, old.signal_id, old.case_id, old.kind, old.actor, old.occurred_at)
    then
        return new;
    end if;
    raise exception 'events is append-only' using errcode = 'insufficient_privilege';
end $$;

drop trigger events_append_only on events;
create trigger events_append_only before update or delete on events
    for each row execute function events_guard();
create index events_sealed_notes on events (id) where data ? 'reason_sealed' or data ? 'reason';
