-- A signal about an address outside every team's area goes back to its partner with that
-- reason: a settled status without a team, like one waiting in the coordinator's queue.
alter table signals drop constraint signals_status_check;
alter table signals drop constraint signals_team_check;
alter table signals
    add constraint signals_status_check
        check (status in ('routed', 'unrouted', 'accepted', 'in_contact', 'closed', 'returned',
                          'declined', 'out_of_area')),
    add constraint signals_team_check
        check ((status in ('unrouted', 'returned', 'out_of_area')) = (team_id is null));

-- A team may close a case with that outcome too (the household turns out to live elsewhere).
alter table cases drop constraint cases_outcome_check;
alter table cases add constraint cases_outcome_check
    check (outcome in ('help_started', 'referred_elsewhere', 'no_help_needed', 'not_reached',
                       'declined', 'repeat_signal', 'out_of_area', 'other'));
