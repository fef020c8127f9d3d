-- Nothing derived from personal data without a key (see hub.privacy.crypto).
--
-- A resubmission is recognised by a digest of its content: now keyed. Arrears and missed
-- invitations describe a household's situation: sealed with the rest of the signal's personal
-- data. A signal keeps of the rule that routed it only the postcode area and the team (a rule
-- with a six-position postcode and house numbers places a household within a few doors).
-- Rows written before are brought in line when the hub starts with its keys, each in one update
-- (hub.privacy.keys.seal_plain_rows); the index finds them, and no new row may hold the plain
-- values.
alter table signals rename column payload_sha256 to payload_digest;
alter table signals add column payload_keyed boolean not null default false;
alter table signals alter column payload_keyed set default true;

create index signals_left_by_older_versions on signals (id)
    where description is not null or returned_reason is not null
       or arrears_amount is not null or arrears_since is not null or invitation_dates is not null
       or not payload_keyed
       or (routed_by ~ '^[0-9]{4}' and routed_by !~ '^[0-9]{4} -> [^ ]+$');

alter table signals add constraint signals_situation_sealed
    check (arrears_amount is null and arrears_since is null and invitation_dates is null)
    not valid;

-- The routing event's copy of the rule, cut the same way. History is append-only (migration
-- 0010); this one change, which only removes detail, is made with the guard set aside.
alter table events disable trigger events_append_only;
update events
set data = jsonb_set(
    data, '{rule}',
    to_jsonb(substr(data ->> 'rule', 1, 4) || ' -> '
             || split_part(split_part(data ->> 'rule', ' -> ', 2), ' ', 1)))
where data ? 'rule' and data ->> 'rule' ~ '^[0-9]{4}';
alter table events enable trigger events_append_only;
