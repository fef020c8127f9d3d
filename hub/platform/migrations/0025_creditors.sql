-- Creditors that send early-debt signals (vroegsignalering), after the national list of signal
-- partners, and collection systems that send their lists: new partner kinds.
alter table partners drop constraint partners_kind_check;
alter table partners add constraint partners_kind_check check (kind in (
    'gp', 'housing', 'police', 'work_income', 'youth', 'other',
    'tax_office', 'cak_contribution', 'cak_insurance', 'benefits_office', 'duo', 'energy',
    'mortgage', 'water', 'health_insurer', 'creditor', 'collection_system'));

alter table feedback_agreements drop constraint feedback_agreements_partner_kind_check;
alter table feedback_agreements add constraint feedback_agreements_partner_kind_check
    check (partner_kind in (
    'gp', 'housing', 'police', 'work_income', 'youth', 'other',
    'tax_office', 'cak_contribution', 'cak_insurance', 'benefits_office', 'duo', 'energy',
    'mortgage', 'water', 'health_insurer', 'creditor', 'collection_system'));
