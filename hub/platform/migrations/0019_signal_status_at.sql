-- When a signal's status last changed, so that its partner sees the step with its date.
-- Set by trigger: on insert the moment it arrived, on a change of status the moment of the
-- change (unless the statement sets it itself, as the demo's history does).
alter table signals add column status_at timestamptz;

create function signals_status_at() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        new.status_at := coalesce(new.status_at, new.received_at);
    elsif new.status is distinct from old.status
          and new.status_at is not distinct from old.status_at then
        new.status_at := now();
    end if;
    return new;
end
$$;

-- Signals that exist: the last step of their case since they arrived, else their arrival.
-- Rows an older version left with plain personal data (sealed at the hub's next start) must
-- not be changed before then (the NOT VALID checks of 0008 and 0016): they keep no date, and
-- are read as of their arrival.
update signals s set status_at = greatest(s.received_at, coalesce(
    (select max(e.occurred_at) from events e
     where e.case_id = s.case_id and e.occurred_at >= s.received_at
       and e.kind in ('take', 'assign', 'contact_attempt', 'close', 'return', 'decline')
       and s.status not in ('routed', 'unrouted')),
    s.received_at))
where person_name is null and person_birth_date is null and description is null
  and not_informed_reason is null and client_ref is null and returned_reason is null
  and arrears_amount is null and arrears_since is null and invitation_dates is null;

create trigger signals_status_at before insert or update of status, status_at on signals
    for each row execute function signals_status_at();
