-- Webhook signing secrets are sealed like personal data (`hub.privacy.sealed`): the plain column
-- is emptied when the hub starts with its keys (`hub.privacy.keys.seal_plain_rows`) and no new
-- row may fill it.
alter table partner_webhooks add column secret_sealed bytea;
alter table partner_webhooks alter column secret drop not null;
alter table partner_webhooks add constraint partner_webhooks_secret_sealed
    check (secret is null) not valid;
