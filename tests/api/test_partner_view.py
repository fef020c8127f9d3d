"""What a partner reads back about its own signal: the step with its date, and per step of its
feedback agreement what was promised by when and what the team did when."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from hub.directory.accounts import create_user
from hub.feedback.agreements import add_agreement
from schemas.signals import PartnerKind
from tests.support.factories import ADDRESS, OOST, make_partner, make_signal, make_user
from tests.support.http import act, bearer, cases_of, log_in, post

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"


async def view(client: Client, token: str, signal_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/signals/{signal_id}", headers=bearer(token))
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_the_partner_sees_each_promised_step_and_when_it_was_kept(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await add_agreement(haarlem, step="received", working_days=None)
    await add_agreement(haarlem, step="first_contact", working_days=3)
    await add_agreement(haarlem, step="outcome", working_days=20)
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    sent = await (await post(client, token, make_signal(address=ADDRESS))).json()

    first = await view(client, token, sent["id"])
    assert first["status"] == "routed"
    assert first["status_at"] == first["received_at"]
    steps = {step["step"]: step for step in first["feedback"]}
    assert list(steps) == ["received", "first_contact", "outcome"]
    assert steps["received"]["met_at"] is not None
    assert steps["received"]["late"] is False
    assert steps["first_contact"]["met_at"] is None
    assert steps["first_contact"]["due_on"] is not None

    (case,) = await cases_of(client, member)
    await act(client, member, case["id"], action="take")
    await act(client, member, case["id"], action="contact_attempt", reached=True)
    later = await view(client, token, sent["id"])
    assert later["status"] == "in_contact"
    assert datetime.fromisoformat(later["status_at"]) > datetime.fromisoformat(later["received_at"])
    steps = {step["step"]: step for step in later["feedback"]}
    assert steps["first_contact"]["met_at"] is not None
    assert steps["first_contact"]["late"] is False

    async with haarlem.acquire() as conn:  # the outcome's day passes without one
        await conn.execute(
            "update obligations set due_on = current_date - 1 where step = 'outcome'"
        )
    overdue = {s["step"]: s for s in (await view(client, token, sent["id"]))["feedback"]}
    assert (overdue["outcome"]["met_at"], overdue["outcome"]["late"]) == (None, True)


async def test_my_signals_pages_and_finds_by_reference(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, token = await make_partner(haarlem, PartnerKind.HOUSING)
    email = f"{partner.id}@example.invalid"
    await create_user(haarlem, email, PASSWORD, "partner", partner)
    for number in range(55):
        body = make_signal(
            kind="rent_arrears",
            external_ref=f"HUUR_{number:03d}",
            address={"postcode": "2031AA", "house_number": number + 1},
        )
        assert (await post(client, token, body)).status == 202
    await log_in(client, email, PASSWORD)

    first = await (await client.get("/signalen")).text()
    assert first.count('href="/signalen/') - first.count('href="/signalen/nieuw"') == 50
    assert "HUUR_054" in first  # newest first
    assert "HUUR_004" not in first
    older = re.search(r'href="(/signalen\?na=[^"]+)"', first)
    assert older
    second = await (await client.get(older.group(1).replace("&amp;", "&"))).text()
    assert "HUUR_004" in second
    assert "HUUR_054" not in second
    assert "Oudere signalen" not in second

    found = await (await client.get("/signalen", params={"kenmerk": "huur_01"})).text()
    assert sorted(re.findall(r"HUUR_\d+", found)) == [f"HUUR_{n:03d}" for n in range(10, 20)]
    wildcard = await (await client.get("/signalen", params={"kenmerk": "HUUR%"})).text()
    assert "Geen signalen met een kenmerk" in wildcard  # % is a character, not a wildcard
    broken = await client.get("/signalen", params={"na": "niet-een-cursor"})
    assert broken.status == 404
    assert "bestaat niet" in await broken.text()
