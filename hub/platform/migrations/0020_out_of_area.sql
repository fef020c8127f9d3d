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
