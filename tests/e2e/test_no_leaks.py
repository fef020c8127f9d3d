"""Nothing personal in logs, metrics, exports, the network graph or error messages.

A real `hub serve` takes signals carrying distinctive personal data through every channel (and
some bad ones, which it refuses); then its whole log, the network exports, the compliance
figures and every error body are searched for that data.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_signal, make_user
from tests.support.fhir import contained
from tests.support.processes import serve

NAME = "Zyxwarta Qelvenbroek"
BIRTH = "1958-07-19"
DESCRIPTION = "Vertelt over Kwispelzorg en de Blauwe Trompet"
NUMBER = 4711
SECRETS = [
    NAME,
    "Zyxwarta",
    "Qelvenbroek",
    BIRTH,
    "19-07-1958",
    "Kwispelzorg",
    "Blauwe Trompet",
    str(NUMBER),
]


def leaks(secret: str, text: str) -> bool:
    """`secret` in `text` as a word of its own: the house number 4711 leaks as `"4711"` or
    `4711,`, not as part of a random id like `761a88a4-4711-...`."""
    return re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text) is not None


def test_leaks_sees_a_word_and_not_part_of_an_id() -> None:
    assert leaks("4711", '{"house_number": 4711}')
    assert leaks("Zyxwarta", "name=Zyxwarta Qelvenbroek")
    assert not leaks("4711", '"id": "761a88a4-4711-4dce-9c81-ab9e51871539"')


async def test_personal_data_stays_out_of_logs_exports_and_errors(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[Any]
) -> None:
    _, gp = await make_partner(haarlem, PartnerKind.GP)
    _, housing = await make_partner(haarlem, PartnerKind.HOUSING)
    _, admin = await make_user(haarlem, "admin")  # in person: reads name a person
    log = tmp_path / "hub.log"
    process, base = await serve(processes, log, args=("-v",), DATABASE_URL=dsn)
    person = {"name": NAME, "birth_date": BIRTH}
    address = {"postcode": "2031 AA", "house_number": NUMBER}
    seen: list[str] = []

    async with aiohttp.ClientSession(base_url=base) as http:

        async def call(method: str, path: str, token: str, **kwargs: Any) -> None:
            async with http.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            ) as response:
                seen.append(await response.text())

        await call(
            "POST",
            "/api/v1/signals",
            gp,
            json=make_signal(person=person, address=address, description=DESCRIPTION),
        )
        for bad in (
            {"person": {**person, "birth_date": "19-07-1958"}},
            {"address": {**address, "postcode": "0000 " + NAME[:2]}},
            {"description": DESCRIPTION * 100},
            {"kind": NAME},
            {"external_ref": NAME},
        ):
            await call(
                "POST",
                "/api/v1/signals",
                gp,
                json=make_signal(**{"person": person, "address": address, **bad}),
            )
        await call("POST", "/api/v1/signals", gp, data=f'{{"name": "{NAME}"'.encode())
        referral = contained({"line": [f"Ramplaan {NUMBER}"], "postalCode": "2015GB"})
        referral["contained"][0]["name"] = [{"text": NAME}]
        referral["note"] = [{"text": DESCRIPTION}]
        # Created, a ServiceRequest is answered with itself (its sender's own data, and a read in
        # the access log); asked to, the answer only says what was done, and that says nothing.
        # A refused one (a status that is no code, here a name) does not echo it either.
        for sent, prefer in (
            (referral, "return=OperationOutcome"),
            ({**referral, "status": NAME}, "return=representation"),
        ):
            async with http.post(
                "/fhir/ServiceRequest",
                data=json.dumps(sent),
                headers={
                    "Authorization": f"Bearer {gp}",
                    "Content-Type": "application/fhir+json",
                    "Prefer": prefer,
                },
            ) as response:
                seen.append(await response.text())
        csv = (
            "Referentie;Postcode;Huisnummer;Naam huurder;Achterstand;Geboortedatum\n"
            f"R1;2031AA;{NUMBER};{NAME};1.200,00;19-07-1958\n"
            f"R2;0000XX;{NUMBER};{NAME};veel;19-07-1958\n"
        ).encode("cp1252")
        async with http.post(
            "/api/v1/batches",
            data=csv,
            headers={"Authorization": f"Bearer {housing}", "Content-Type": "text/csv"},
        ) as response:
            batch = await response.json()
        for _ in range(50):
            async with http.get(
                f"/api/v1/batches/{batch['id']}", headers={"Authorization": f"Bearer {housing}"}
            ) as response:
                view = await response.text()
            if '"pending"' not in view:
                break
            await asyncio.sleep(0.2)
        seen.append(view)
        for path in (
            "/api/v1/network",
            "/api/v1/network?format=graphml",
            "/api/v1/network?format=gexf",
            "/api/v1/metrics/feedback",
        ):
            await call("GET", path, admin)
        async with http.get("/metrics") as response:
            assert response.status == 200
            metrics = await response.text()
            assert "hub_signals_received_total" in metrics
            seen.append(metrics)

    process.terminate()
    await asyncio.to_thread(process.wait, 30)
    logged = log.read_text(encoding="utf-8", errors="replace")
    assert "POST /api/v1/signals" in logged  # the log is there, and verbose
    for secret in SECRETS:
        assert not leaks(secret, logged), f"{secret!r} in the log"
        for body in seen:
            assert not leaks(secret, body), f"{secret!r} in a response: {body[:200]}"
    async with haarlem.acquire() as conn:
        rows = await conn.fetch("select id, personal from signals")
    stored = sum(unsealed(row)["person_name"] == NAME for row in rows)
    assert stored >= 2  # the data did go in: the test would see it if it leaked
