-- Each deadline carries its signal's partner and team, so compliance over a region's weeks is
-- an index range of deadlines, not a join with every signal (benchmarks/README.md). A copy:
-- intake writes both with the deadline, and the trigger below follows a signal to another team
-- (routed by hand, returned to the coordinator, sent back out of the area).
alter table obligations add column partner_id uuid, add column team_id bigint;

update obligations o set partner_id = s.partner_id, team_id = s.team_id
from signals s where s.id = o.signal_id;

alter table obligations alter column partner_id set not null;

create function obligations_follow_team() returns trigger language plpgsql as $$
begin
    update obligations set team_id = new.team_id where signal_id = new.id;
    return null;
end
$$;

create trigger signals_team_to_obligations after update of team_id on signals
    for each row when (old.team_id is distinct from new.team_id)
    execute function obligations_follow_team();

-- Met on time or not, decided once when the deadline is met (its Dutch day against the due
-- day) instead of a time zone conversion for every deadline counted: true on time, false
-- late, null not met.
alter table obligations add column met_in_time boolean
    generated always as ((met_at at time zone 'Europe/Amsterdam')::date <= due_on) stored;

-- Compliance's window (an index-only range) and team load's overdue deadlines, from the index
-- alone.
create index obligations_due on obligations (due_on)
    include (step, partner_id, team_id, met_in_time);
drop index obligations_open;
create index obligations_open on obligations (due_on) include (team_id) where met_at is null;
