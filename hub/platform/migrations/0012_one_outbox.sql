-- One outbox for everything the hub sends (mail to teams, feedback to partners' webhooks), with
-- one way of delivering it: claimed with a lease, retried with backoff, dead letters kept.

create table outbox (
    id                bigint generated always as identity primary key,
    channel           text not null check (channel in ('mail', 'webhook')),
    -- What a receiver deduplicates by (X-Hub-Delivery): the same for every attempt, random, so
    -- it reveals nothing of anyone's volume.
    delivery_id       text not null unique default gen_random_uuid()::text,
    topic             text not null,
    partner_id        uuid references partners (id),
    signal_id         uuid references signals (id),
    recipient         text,
    payload           jsonb not null,
    created_at        timestamptz not null default now(),
    attempts          integer not null default 0,
    next_attempt_at   timestamptz not null default now(),
    delivered_at      timestamptz,
    dead_at           timestamptz,
    last_error        text,
    check ((channel = 'webhook') = (partner_id is not null)),
    check ((channel = 'mail') = (recipient is not null))
);
create index outbox_due on outbox (channel, next_attempt_at)
    where delivered_at is null and dead_at is null;
create index outbox_dead on outbox (dead_at) where dead_at is not null;

-- Mail that waited keeps waiting; mail the old outbox had given up on (10 attempts) is dead.
insert into outbox (channel, topic, recipient, payload, created_at, attempts, next_attempt_at,
                    delivered_at, dead_at, last_error)
select 'mail', 'mail', recipient, jsonb_build_object('subject', subject, 'body', body),
       created_at, attempts, now(), sent_at,
       case when sent_at is null and attempts >= 10 then now() end, last_error
from mail_outbox order by id;

-- Feedback keeps its message id, so a receiver still recognises a retry of an earlier attempt.
insert into outbox (channel, delivery_id, topic, partner_id, signal_id, payload, created_at,
                    attempts, next_attempt_at, delivered_at, dead_at, last_error)
select 'webhook', id::text, step, partner_id, signal_id, payload, created_at, attempts,
       next_attempt_at, delivered_at, dead_at, last_error
from feedback_outbox order by id;

drop table mail_outbox;
drop table feedback_outbox;
