-- A partner may withdraw its signal (a GP's referral called off). The signal is kept, with its
-- team if it had one: its case stays with that team until the team closes it; one withdrawn
-- from the coordinator's queue has none.
alter table signals drop constraint signals_status_check;
alter table signals drop constraint signals_team_check;
alter table signals
    add constraint signals_status_check
        check (status in ('routed', 'unrouted', 'accepted', 'in_contact', 'closed', 'returned',
                          'declined', 'out_of_area', 'withdrawn')),
    add constraint signals_team_check
        check (status = 'withdrawn'
               or (status in ('unrouted', 'returned', 'out_of_area')) = (team_id is null));
