-- NEN 7513: each access-log line names the household read and on whose behalf, so a resident
-- who asks who looked at their data gets an answer.
alter table access_log
    add column household_id uuid references households (id),
    add column on_behalf_of text;
create index access_log_household on access_log (household_id, occurred_at)
    where household_id is not null;
create index signals_household on signals (household_id);
create index cases_household on cases (household_id);
