-- Narrow paths past wide rows, found by benchmarks/region_history.py (a region's two years) with
-- EXPLAIN (ANALYZE, BUFFERS): a signal row carries its sealed personal data, so reading a
-- signal's partner or team from the table read 150 MB for a region (benchmarks/README.md).

-- A case's signals with their partner and kind (the inbox's partners filter, its kinds and
-- partners columns): index-only. Replaces the plain index on case_id.
create index signals_case_partner on signals (case_id) include (partner_id, kind);
drop index signals_case;

-- Households whose address retention has not removed (the inbox's tab counts, team load).
create index households_with_address on households (id) where address is not null;

-- New cases per week since a day (team load): an index range, not every case.
create index cases_opened on cases (opened_at) include (team_id);
