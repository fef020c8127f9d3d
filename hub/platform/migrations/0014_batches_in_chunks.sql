-- CSV batches are taken in a chunk of rows per transaction: how far a batch got is kept with it,
-- so processing resumes after a crash where it stopped, and counts add up chunk by chunk. The
-- report keeps the first problems, and how many there were per column.
alter table batches
    add column rows_done integer not null default 1,
    add column problems_total integer not null default 0,
    add column problems_by_column jsonb not null default '{}';
