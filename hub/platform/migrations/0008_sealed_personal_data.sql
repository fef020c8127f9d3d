-- Personal data sealed with AES-GCM under keys kept outside the database (hub/privacy/crypto.py);
-- households matched by a keyed hash of the address, so no index holds a plain address.

-- Which keys sealed this database's data, by fingerprint (never the key): a hub started with
-- another key file is refused instead of writing data no one can open.
create table encryption_keys (
    key_id            integer primary key check (key_id >= 0),
    fingerprint       bytea not null,
    registered_at     timestamptz not null default now()
);

alter table households
    add column address_digest bytea,
    add column address bytea,
    alter column postcode drop not null,
    alter column house_number drop not null;
alter table households drop constraint households_postcode_house_number_house_letter_addition_key;
create unique index households_address_digest on households (address_digest);

alter table signals
    add column personal bytea,
    add column returned_note bytea,
    alter column description drop not null;

alter table batches add column content_sealed boolean not null default false;

-- The plain columns stay only until rows written before this migration are sealed (at the next
-- start, by the hub itself); from now on no plain personal data may be written to them. NOT VALID:
-- checked for every new or changed row, not for the old rows still waiting to be sealed.
alter table households add constraint households_sealed
    check (postcode is null and house_number is null and house_letter = '' and addition = '')
    not valid;
alter table signals add constraint signals_sealed
    check (person_name is null and person_birth_date is null and description is null
           and not_informed_reason is null and client_ref is null and returned_reason is null)
    not valid;
