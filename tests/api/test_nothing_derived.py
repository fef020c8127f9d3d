"""No personal data, and nothing derived from it without a key, anywhere in the database.

Residents' data goes in through every channel (API, FHIR, both CSV profiles with a faulty row,
the web form); then every column of every table is read as text, the way a stolen backup would
show it, and searched for each value in plain form and for unkeyed hashes (MD5, SHA-1, SHA-256,
SHA-512; hex and base64) of the values, of the address as the hub normalises it, of each CSV
line and file, and of each signal as the hub validates it. A value that occurs in the database
before anything is sent (a postcode in a routing rule) would prove nothing, so the test first
checks that none does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from hub.directory.accounts import create_user
from schemas.signals import PartnerKind, SignalIn
from tests.support.batches import finished, upload
from tests.support.factories import make_partner, make_signal
from tests.support.fhir import FHIR, patient, service_request
from tests.support.http import bearer, log_in, post, signal_form

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"
HASHES = ("md5", "sha1", "sha256", "sha512")

API_SIGNAL = make_signal(
    kind="care_report",
    address={"postcode": "2033 RE", "house_number": 41, "house_letter": "c"},
    person={"name": "Ottoline Brekelmans", "birth_date": "1948-06-17"},
    description="Ottoline woont alleen en laat niemand binnen sinds de winter.",
    external_ref="POL-2026-77831",
)
FHIR_NAME = ("Gijsbertus", "Vlaskamp")
FHIR_BIRTH = "1939-11-02"
FHIR_NOTE = "Meneer Vlaskamp vergeet zijn medicatie en heeft schulden bij de apotheek."
FHIR_ADDRESS = {"line": ["Kleverparkweg 118"], "postalCode": "2023 CG", "city": "Haarlem"}
ARREARS_LINE = "HV-58213;2024 TL;63;Hermina Zwanenburg;14-05-1957;3.871,44;03-02-2025"
ARREARS_BAD = "HV-58214;2024 TL;65;Cornelis Uytewael;31-02-1960;niet bekend;"
ARREARS_FILE = (
    "Referentie;Postcode;Huisnummer;Naam;Geboortedatum;Achterstand;Sinds\r\n"
    f"{ARREARS_LINE}\r\n{ARREARS_BAD}\r\n"
).encode("cp1252")
NON_RESPONDER_LINE = "K-9931407,2036 XV,12,Fadoua el Ouazzani,04-03-2025,05-04-2025"
NON_RESPONDER_FILE = (
    f"Klantnummer,Postcode,Huisnummer,Naam,Uitnodiging 1,Uitnodiging 2\n{NON_RESPONDER_LINE}\n"
).encode()
FORM_DESCRIPTION = "Buurvrouw van nummer 88 hoort al weken geschreeuw in de nacht."

PLAIN = [
    # API
    "Ottoline Brekelmans",
    "Brekelmans",
    "1948-06-17",
    "2033RE",
    "2033 RE",
    "Ottoline woont alleen",
    # FHIR
    "Vlaskamp",
    "Gijsbertus",
    FHIR_BIRTH,
    "2023CG",
    "2023 CG",
    "Kleverparkweg",
    "vergeet zijn medicatie",
    # CSV, rent arrears (the faulty row too)
    "Zwanenburg",
    "1957-05-14",
    "14-05-1957",
    "3871.44",
    "3.871,44",
    "2025-02-03",
    "2024TL",
    "2024 TL",
    "Uytewael",
    "31-02-1960",
    # CSV, non-responders
    "el Ouazzani",
    "K-9931407",
    "2036XV",
    "2036 XV",
    "2025-03-04",
    "2025-04-05",
    # web form
    "2035EM",
    "2035 EM",
    "geschreeuw in de nacht",
]
# What an implementation might have hashed without a key.
HASHED = [
    *PLAIN,
    "2033RE|41|C|",
    "2023CG|118||",
    "2024TL|63||",
    "2036XV|12||",
    "2035EM|88||",
    ARREARS_LINE,
    ARREARS_BAD,
    NON_RESPONDER_LINE,
    SignalIn.model_validate(API_SIGNAL).model_dump_json(),
]


def needles() -> dict[str, str]:
    """Each searchable form (lower case) -> what it is derived from."""
    found: dict[str, str] = {value.lower(): value for value in PLAIN}
    blobs: list[bytes] = [value.encode() for value in HASHED] + [ARREARS_FILE, NON_RESPONDER_FILE]
    for blob in blobs:
        for name in HASHES:
            digest = hashlib.new(name, blob).digest()
            label = f"{name}({blob[:40]!r})"
            for form in _forms(digest):
                found[form.lower()] = label
    return found


def _forms(digest: bytes) -> Iterator[str]:
    yield digest.hex()
    yield base64.b64encode(digest).decode()
    yield base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def every_row(conn: asyncpg.Connection) -> str:
    tables = await conn.fetch(
        "select table_name from information_schema.tables "
        "where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1"
    )
    assert len(tables) > 20, "every table, not a chosen few"
    parts = []
    for table in tables:
        rows = await conn.fetch(f'select t::text as row from "{table["table_name"]}" t')  # noqa: S608
        parts.extend(f"{table['table_name']}: {row['row']}" for row in rows)
    return "\n".join(parts).lower()


def occurrences(text: str, forms: dict[str, str]) -> list[str]:
    return [f"{forms[form]} as {form[:24]}" for form in forms if form in text]


async def send_everything(client: Client, pool: asyncpg.Pool) -> None:
    _, police = await make_partner(pool, PartnerKind.POLICE)
    _, gp = await make_partner(pool, PartnerKind.GP)
    _, housing = await make_partner(pool, PartnerKind.HOUSING)
    _, work = await make_partner(pool, PartnerKind.WORK_INCOME)
    form, _ = await make_partner(pool, PartnerKind.OTHER)

    assert (await post(client, police, API_SIGNAL)).status == 202
    resident = patient(FHIR_ADDRESS, id="p1", birthDate=FHIR_BIRTH)
    resident["name"] = [{"given": [FHIR_NAME[0]], "family": FHIR_NAME[1]}]
    referral = service_request(
        reference="HIS-2026-990012",
        subject={"reference": "#p1"},
        contained=[resident],
        note=[{"text": FHIR_NOTE}],
    )
    created = await client.post(
        "/fhir/ServiceRequest",
        data=json.dumps(referral),
        headers={**bearer(gp), "Content-Type": FHIR},
    )
    assert created.status == 201, await created.text()
    for token, content in ((housing, ARREARS_FILE), (work, NON_RESPONDER_FILE)):
        sent = await (await upload(client, token, content)).json()
        view = await finished(client, token, sent["id"])
        assert view["counts"]["accepted"] == 1, view
    email = f"{form.id}@example.invalid"
    await create_user(pool, email, PASSWORD, "partner", form)
    await log_in(client, email, PASSWORD)
    page = await (await client.get("/signalen/nieuw")).text()
    shown = await client.post(
        "/signalen/nieuw",
        data=signal_form(
            page,
            kind="other",
            postcode="2035 EM",
            house_number="88",
            informed="yes",
            reason="",
            description=FORM_DESCRIPTION,
        ),
    )
    assert shown.status == 200
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 5


async def test_nothing_personal_or_derived_without_a_key_is_stored(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    forms = needles()
    async with haarlem.acquire() as conn:
        before = await every_row(conn)
    assert occurrences(before, forms) == [], "a value the test sends is there already"

    await send_everything(client, haarlem)

    async with haarlem.acquire() as conn:
        after = await every_row(conn)
    assert occurrences(after, forms) == []


def test_the_search_finds_what_it_looks_for() -> None:
    """The scan is only as good as its needles: each kind is found where it is."""
    forms = needles()
    planted: Iterable[str] = (
        "signals: (…,ottoline brekelmans,…)",
        "x: \\x" + hashlib.sha256(ARREARS_LINE.encode()).hexdigest(),
        "x: " + base64.b64encode(hashlib.md5(b"2024TL|63||").digest()).decode().lower(),  # noqa: S324
        "x: " + hashlib.sha1(NON_RESPONDER_FILE).hexdigest(),  # noqa: S324
    )
    for text in planted:
        assert occurrences(text.lower(), forms), text
