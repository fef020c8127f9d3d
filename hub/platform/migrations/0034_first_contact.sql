-- A case's first contact attempt, kept on the case (team load's "working days to first
-- contact"). Finding it among a region's events took 50-110 ms a request: every attempt of the
-- weeks shown, each checked against the case's earlier attempts (benchmarks/README.md). Events
-- are only ever added to a case, never moved, so a trigger on insert keeps it: whatever
-- appends the attempt (a worker's action, the demo, a benchmark's history) sets it.
alter table cases add column first_contact_at timestamptz;

update cases c set first_contact_at = f.first
from (
    select case_id, min(occurred_at) as first from events
    where kind = 'contact_attempt' and case_id is not null
    group by case_id
) f
where f.case_id = c.id;

create function cases_first_contact() returns trigger language plpgsql as $$
begin
    update cases set first_contact_at = new.occurred_at
    where id = new.case_id
      and (first_contact_at is null or first_contact_at > new.occurred_at);
    return null;
end
$$;

create trigger events_first_contact after insert on events
    for each row when (new.kind = 'contact_attempt' and new.case_id is not null)
    execute function cases_first_contact();

create index cases_first_contact on cases (first_contact_at) include (team_id, opened_at)
    where first_contact_at is not null;
