"""Personal data at rest: sealed with AES-GCM, households matched by a keyed hash, legacy rows
sealed at start, keys rotated with re-encryption, and a key file that is not the database's
refused."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import asyncpg
import pyotp
import pytest
from pydantic import SecretStr

from hub.directory.accounts import login, set_second_factor
from hub.directory.models import Session
from hub.intake.service import submit_signal
from hub.platform.config import Settings
from hub.platform.schema import migrations
from hub.privacy.crypto import KeyringError, load_keyring, new_keyring, use_keyring
from hub.privacy.keys import prepare_keys, retire_old_keys, rotate_keys
from hub.privacy.sealed import open_address, open_personal, open_webhook_secret, unsealed
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import TEST_KEYRING, make_partner, make_signal, make_user
from tests.support.sealing import dump, seal_unbound
from tests.support.servers import give_webhook

PASSWORD = "een lang wachtwoord voor de test"
NAME = "Wilhelmina Kwakernaak"
DESCRIPTION = "Schulden bij de Belastingdienst en een dreigende afsluiting van gas"


@pytest.fixture(autouse=True)
def _test_keys() -> Iterator[None]:
    """Tests here make other keyrings current; every other test expects the test keyring."""
    use_keyring(TEST_KEYRING)
    yield
    use_keyring(TEST_KEYRING)


async def test_nothing_personal_is_stored_in_the_clear(haarlem: asyncpg.Pool) -> None:
    partner, _ = await make_partner(haarlem, PartnerKind.GP)
    body = make_signal(
        person={"name": NAME, "birth_date": "1950-03-04"},
        description=DESCRIPTION,
        address={"postcode": "2034AB", "house_number": 77, "house_letter": "C"},
    )
    first = await submit_signal(haarlem, partner, SignalIn.model_validate(body))
    body["external_ref"] += "-2"
    second = await submit_signal(haarlem, partner, SignalIn.model_validate(body))
    async with haarlem.acquire() as conn:
        text = await dump(conn)
        households = await conn.fetch("select * from households")
        row = await conn.fetchrow(
            "select s.*, h.address from signals s join households h on h.id = s.household_id "
            "where s.id = $1",
            first.receipt.id,
        )
    for secret in (NAME, "Kwakernaak", "Belastingdienst", "1950-03-04", "2034AB", "2034 AB"):
        assert secret not in text, f"{secret!r} stored in the clear"
    # The same address is one household, found by its keyed digest, not by a plain address.
    assert len(households) == 1
    assert second.receipt.id != first.receipt.id
    assert households[0]["address_digest"] == TEST_KEYRING.address_digest(("2034AB", 77, "C", ""))
    assert row is not None
    signal = unsealed(row)
    assert (signal["person_name"], signal["description"]) == (NAME, DESCRIPTION)
    assert (signal["postcode"], signal["house_number"], signal["house_letter"]) == (
        "2034AB",
        77,
        "C",
    )


def test_a_sealed_value_opens_only_in_its_own_place_and_row_and_with_its_key() -> None:
    row, other = uuid4(), uuid4()
    sealed = TEST_KEYRING.seal({"name": NAME}, "signals.personal", row)
    assert TEST_KEYRING.unseal(sealed, "signals.personal", row) == {"name": NAME}
    with pytest.raises(KeyringError):
        TEST_KEYRING.unseal(sealed, "households.address", row)
    with pytest.raises(KeyringError):
        TEST_KEYRING.unseal(sealed, "signals.personal", other)
    with pytest.raises(KeyringError):
        new_keyring().unseal(sealed, "signals.personal", row)
    tampered = bytearray(sealed or b"")
    tampered[-1] ^= 1
    with pytest.raises(KeyringError):
        TEST_KEYRING.unseal(bytes(tampered), "signals.personal", row)
    # Random nonces: the same value sealed twice gives two different ciphertexts.
    assert TEST_KEYRING.seal("x", "p", row) != TEST_KEYRING.seal("x", "p", row)
    # A value sealed before row binding opens only until the database has none left.
    unbound = seal_unbound(TEST_KEYRING, b'"x"', "p")
    assert TEST_KEYRING.unseal(unbound, "p", row) == "x"
    with pytest.raises(KeyringError):
        replace(TEST_KEYRING, accept_unbound=False).unseal(unbound, "p", row)


def test_a_large_file_is_sealed_in_one_buffer_and_hashed_where_it_lies() -> None:
    """What a 20 MiB upload goes through without copies: the same format and the same digest
    as the small values' way."""
    row = uuid4()
    content = bytearray(b"Referentie;Postcode\r\n" + b"HV-1;2034AB\r\n" * 50_000)
    sealed = TEST_KEYRING.seal_into_buffer(content, "batches.content", row)
    assert TEST_KEYRING.unseal_bytes(bytes(sealed), "batches.content", row) == content
    with pytest.raises(KeyringError):
        TEST_KEYRING.unseal_bytes(bytes(sealed), "batches.content", uuid4())
    assert sealed[:5] == TEST_KEYRING.key_header()
    small = hmac.digest(TEST_KEYRING.index_key, b"batches.file|" + bytes(content), "sha256")
    assert TEST_KEYRING.digest(content, "batches.file") == small
    assert len(content) > 1 << 16  # the large value's way


async def test_a_sealed_value_moved_to_another_row_does_not_open(haarlem: asyncpg.Pool) -> None:
    """Someone who can write to the database swaps two households' sealed addresses and two
    signals' personal data: the hub refuses to open them rather than show the wrong ones."""
    partner, _ = await make_partner(haarlem, PartnerKind.GP)
    for number in (1, 2):
        body = make_signal(address={"postcode": "2034AB", "house_number": number})
        await submit_signal(haarlem, partner, SignalIn.model_validate(body))
    select = (
        "select s.id, s.household_id, s.personal, h.address "
        "from signals s join households h on h.id = s.household_id order by s.received_at"
    )
    async with haarlem.acquire() as conn:
        assert [unsealed(row)["house_number"] for row in await conn.fetch(select)] == [1, 2]
        await conn.execute(
            "update households h set address = o.address from households o where o.id <> h.id"
        )
        for row in await conn.fetch(select):
            with pytest.raises(KeyringError, match="in this row"):
                open_address(row["address"], row["household_id"])
        await conn.execute(
            "update signals s set personal = o.personal from signals o where o.id <> s.id"
        )
        for row in await conn.fetch(select):
            with pytest.raises(KeyringError, match="in this row"):
                open_personal(row["personal"], row["id"])


async def test_rows_written_before_sealing_are_sealed_at_start(
    empty_dsn: str, tmp_path: Path
) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        await conn.execute(
            "create table schema_migrations (version integer primary key, name text not null, "
            "applied_at timestamptz not null default now())"
        )
        for migration in migrations():
            if migration.version < 8:
                await conn.execute(migration.sql)
                await conn.execute(
                    "insert into schema_migrations (version, name) values ($1, $2)",
                    migration.version,
                    migration.name,
                )
        partner = await conn.fetchval(
            "insert into partners (name, kind) values ('Huisarts', 'gp') returning id"
        )
        household = await conn.fetchval(
            "insert into households (postcode, house_number, house_letter) "
            "values ('2011AA', 3, 'B') returning id"
        )
        await conn.execute(
            """insert into signals (partner_id, external_ref, payload_sha256, kind, urgency,
                   household_id, person_name, person_birth_date, resident_informed,
                   description, status, returned_reason, arrears_amount, arrears_since,
                   invitation_dates, routed_by)
               values ($1, 'OLD-1', '\\x00', 'care_concern', 'normal', $2, $3, '1950-03-04',
                       true, $4, 'returned', 'Hoort bij Noord', 4321.09, '2025-02-03',
                       '{2025-03-04,2025-04-05}', '2011AA 1-9 odd -> SWT-HLM-CENTRUM')""",
            partner,
            household,
            NAME,
            DESCRIPTION,
        )
        await conn.execute(
            "insert into partner_webhooks (partner_id, url, secret) "
            "values ($1, 'https://partner.example/hook', 'old-signing-secret')",
            partner,
        )
    finally:
        await conn.close()

    from hub.platform.db import create_pool
    from hub.platform.schema import migrate

    pool = await create_pool(empty_dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        settings = Settings(data_dir=tmp_path, keys=SecretStr(TEST_KEYRING.to_json()))
        await prepare_keys(pool, settings)
        async with pool.acquire() as conn:
            text = await dump(conn)
            row = await conn.fetchrow(
                "select s.*, h.address, h.address_digest from signals s "
                "join households h on h.id = s.household_id"
            )
            hook = await conn.fetchrow(
                "select partner_id, secret, secret_sealed from partner_webhooks"
            )
    finally:
        await pool.close()
    for secret in (NAME, DESCRIPTION, "2011AA", "Hoort bij Noord", "old-signing-secret"):
        assert secret not in text
    assert hook is not None
    assert hook["secret"] is None
    assert open_webhook_secret(bytes(hook["secret_sealed"]), hook["partner_id"]) == (
        "old-signing-secret"
    )
    assert row is not None
    signal = unsealed(row)
    assert signal["person_name"] == NAME
    assert str(signal["person_birth_date"]) == "1950-03-04"
    assert signal["description"] == DESCRIPTION
    assert signal["returned_reason"] == "Hoort bij Noord"
    assert (signal["postcode"], signal["house_number"], signal["house_letter"]) == (
        "2011AA",
        3,
        "B",
    )
    assert row["address_digest"] == TEST_KEYRING.address_digest(("2011AA", 3, "B", ""))
    # Arrears and invitations moved into the sealed data; the old digest keyed where it lay;
    # the rule cut to its postcode area.
    assert (row["arrears_amount"], row["arrears_since"], row["invitation_dates"]) == (
        None,
        None,
        None,
    )
    assert str(signal["arrears_amount"]) == "4321.09"
    assert [str(day) for day in signal["invitation_dates"]] == ["2025-03-04", "2025-04-05"]
    assert row["payload_keyed"]
    assert bytes(row["payload_digest"]) == TEST_KEYRING.digest(b"\x00", "signals.payload")
    assert row["routed_by"] == "2011 -> SWT-HLM-CENTRUM"
    for plain in ("4321.09", "2025-02-03", "2025-03-04", "1-9 odd"):
        assert plain not in text


async def test_rotation_re_encrypts_everything_and_old_keys_can_then_go(
    haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys.json"
    settings = Settings(data_dir=tmp_path)
    await prepare_keys(haarlem, settings)  # a new installation: a new key file
    assert json.loads(key_file.read_text())["current"] == 1
    assert key_file.stat().st_mode & 0o777 == 0o600
    partner, _ = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        await give_webhook(conn, partner.id, "https://partner.example/hook", "signing-secret")
    lead, _ = await make_user(haarlem, "lead", "SWT-HLM-OOST", password=PASSWORD)
    uri = await set_second_factor(haarlem, lead.email, on=True)
    assert uri is not None
    totp = pyotp.parse_uri(uri)
    for number in range(3):
        address = {"postcode": "2034AB", "house_number": number + 1}
        body = make_signal(person={"name": NAME}, address=address)
        await submit_signal(haarlem, partner, SignalIn.model_validate(body))
    original = load_keyring(None, key_file, create=False)
    key_file.write_text(original.rotated().to_json())  # a new key, nothing re-encrypted yet
    with pytest.raises(KeyringError, match="still sealed under an old key"):
        await retire_old_keys(haarlem, settings)
    key_file.write_text(original.to_json())

    counts = await rotate_keys(haarlem, settings)
    assert counts["signals.personal"] == 3
    assert counts["households.address"] == 3
    assert counts["partner_webhooks.secret_sealed"] == 1
    assert counts["users.totp_secret"] == 1
    assert await retire_old_keys(haarlem, settings) == [1]
    only_new = load_keyring(None, key_file, create=False)
    assert set(only_new.keys) == {2}
    use_keyring(only_new)
    async with haarlem.acquire() as conn:
        rows = await conn.fetch(
            "select s.id, s.household_id, s.personal, h.address "
            "from signals s join households h on h.id = s.household_id"
        )
    assert sorted(unsealed(row)["house_number"] for row in rows) == [1, 2, 3]
    assert {unsealed(row)["person_name"] for row in rows} == {NAME}
    async with haarlem.acquire() as conn:
        sealed = await conn.fetchval("select secret_sealed from partner_webhooks")
    assert open_webhook_secret(bytes(sealed), partner.id) == "signing-secret"
    # The second factor still works on the new key alone.
    session = await login(haarlem, lead.email, PASSWORD, "127.0.0.1", totp.now())
    assert isinstance(session, Session)


async def test_a_key_file_that_is_not_the_databases_is_refused(
    haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    await prepare_keys(haarlem, Settings(data_dir=tmp_path / "first"))
    with pytest.raises(KeyringError, match="not the one this database"):
        await prepare_keys(
            haarlem, Settings(data_dir=tmp_path, keys=SecretStr(new_keyring().to_json()))
        )
    with pytest.raises(KeyringError, match="no keys"):
        await prepare_keys(haarlem, Settings(data_dir=tmp_path / "empty"))


async def test_values_sealed_before_row_binding_are_bound_at_start(
    haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    """A database of an older version: values bound to their place only. The hub binds each to
    its row when it starts, once; after that a value bound to its place only does not open."""
    partner, _ = await make_partner(haarlem, PartnerKind.GP)
    body = make_signal(person={"name": NAME}, address={"postcode": "2034AB", "house_number": 5})
    await submit_signal(haarlem, partner, SignalIn.model_validate(body))
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow(
            "select s.id, s.household_id, s.personal, h.address "
            "from signals s join households h on h.id = s.household_id"
        )
        assert row is not None
        person = TEST_KEYRING.unseal(row["personal"], "signals.personal", row["id"])
        place = TEST_KEYRING.unseal(row["address"], "households.address", row["household_id"])
        old_person = seal_unbound(TEST_KEYRING, json.dumps(person).encode(), "signals.personal")
        old_place = seal_unbound(TEST_KEYRING, json.dumps(place).encode(), "households.address")
        await conn.execute("update signals set personal = $1", old_person)
        await conn.execute("update households set address = $1", old_place)
        await conn.execute("delete from upgrades")

    settings = Settings(data_dir=tmp_path, keys=SecretStr(TEST_KEYRING.to_json()))
    await prepare_keys(haarlem, settings)
    try:
        async with haarlem.acquire() as conn:
            again = await conn.fetchrow(
                "select s.id, s.household_id, s.personal, h.address "
                "from signals s join households h on h.id = s.household_id"
            )
        assert again is not None
        assert bytes(again["personal"])[0] == bytes(again["address"])[0] == 2  # bound
        opened = unsealed(again)
        assert (opened["person_name"], opened["house_number"]) == (NAME, 5)
        with pytest.raises(KeyringError, match="format 1"):
            open_personal(old_person, again["id"])
    finally:
        use_keyring(TEST_KEYRING)
