-- Read paths that scanned whole tables, found by benchmarks/region_history.py (a region's two
-- years) with EXPLAIN (ANALYZE, BUFFERS); benchmarks/README.md has the plans before and after.

-- A signal's feedback messages (feedback.store.promised: GET /api/v1/signals/{id} and the
-- partner's signal page) scanned the whole outbox once per step.
create index outbox_feedback_of_signal on outbox (signal_id, topic) where channel = 'webhook';

-- "Mijn signalen": a partner's newest signals without sorting all of them.
create index signals_partner_newest on signals (partner_id, received_at desc, id desc);
