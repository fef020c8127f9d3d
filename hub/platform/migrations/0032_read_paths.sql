-- Read paths that scanned whole tables, found by benchmarks/region_history.py (a region's two
-- years) with EXPLAIN (ANALYZE, BUFFERS); benchmarks/README.md has the plans before and after.

-- A signal's feedback messages (feedback.store.promised: GET /api/v1/signals/{id} and the
-- partner's signal page) scanned the whole outbox once per step.
create index outbox_feedback_of_signal on outbox (signal_id, topic) where channel = 'webhook';

-- Compliance over a window of weeks: the deadlines of the window as an index range.
create index obligations_due on obligations (due_on) include (signal_id, step, met_at);

-- Team load: first contact attempts since a day (cases.store.first_contacts).
create index events_case_steps on events (kind, occurred_at) include (case_id)
    where case_id is not null;

-- "Mijn signalen": a partner's newest signals without sorting all of them.
create index signals_partner_newest on signals (partner_id, received_at desc, id desc);
