-- An administrator ends a feedback agreement, or changes it (which ends it and adds the changed
-- one): the agreement's own dates say from which day it no longer applies; these say when and
-- why it ended (replaced by which one, or just ended), so that the history can say so. An
-- agreement is never rewritten: obligations made from it keep pointing at what was promised.
alter table feedback_agreements
    add column ended_at timestamptz,
    add column replaced_by bigint references feedback_agreements (id),
    add check (replaced_by is null or ended_at is not null);
