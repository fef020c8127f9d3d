-- How many open cases a team can carry, as an administrator sets it (`hub team capacity`);
-- managers see each team's open cases against it. Null: not set.
alter table teams add column capacity integer check (capacity between 1 and 100000);
