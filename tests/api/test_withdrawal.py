"""A partner withdraws its signal through the API: kept, its team told, promises released."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.cases.service import act as act_on
from hub.cases.service import coordinator_queue
from hub.feedback.agreements import add_agreement
from hub.intake.withdrawal import withdraw_signal
from hub.platform.errors import Conflict
from schemas.cases import Close, ContactAttempt, Outcome, Take
from schemas.signals import PartnerKind
from tests.support.factories import OOST, make_partner, make_signal, make_user
from tests.support.http import bearer, cases_of, post, problem
from tests.support.outbox import queued_mail

Client = TestClient[Any, Any]
IN_OOST = {"postcode": "2031 AA", "house_number": 12}


async def withdraw(client: Client, token: str, signal_id: str, body: Any = None) -> Any:
    return await client.post(
        f"/api/v1/signals/{signal_id}/withdrawal", json=body, headers=bearer(token)
    )


async def obligations(pool: asyncpg.Pool, signal_id: str) -> list[tuple[str, bool]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select step, met_at is not null as met from obligations where signal_id = $1 "
            "order by step",
            UUID(signal_id),
        )
    return [(row["step"], row["met"]) for row in rows]


async def test_a_partner_withdraws_its_signal_once_and_the_team_keeps_the_case(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    for step, days in (("received", 0), ("first_contact", 5), ("outcome", 20)):
        await add_agreement(haarlem, step=step, working_days=days, partner_id=partner.id)
    receipt = await (await post(client, token, make_signal(address=IN_OOST))).json()
    assert [step for step, _ in await obligations(haarlem, receipt["id"])] == [
        "first_contact",
        "outcome",
        "received",
    ]
    mails_before = len(await queued_mail(haarlem))

    response = await withdraw(client, token, receipt["id"], {"reason": "Verhuisd naar Leiden."})
    assert response.status == 202, await response.text()
    view = await response.json()
    assert (view["id"], view["status"]) == (receipt["id"], "withdrawn")
    # What was promised and not yet done is no longer owed, so it can never be late.
    assert [item["step"] for item in view["feedback"]] == ["received"]
    assert await obligations(haarlem, receipt["id"]) == [("received", True)]

    (case,) = await cases_of(client, member)  # still open, with the team
    detail = await (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(member))).json()
    (entry,) = [e for e in detail["timeline"] if e["kind"] == "withdrawn"]
    assert entry["detail"]["reason"] == "Verhuisd naar Leiden."
    assert len(await queued_mail(haarlem)) == mails_before + 1

    again = await withdraw(client, token, receipt["id"])  # no body: a reason is optional
    assert again.status == 200
    assert (await again.json())["status"] == "withdrawn"
    assert len(await queued_mail(haarlem)) == mails_before + 1
    read = await client.get(f"/api/v1/signals/{receipt['id']}", headers=bearer(token))
    assert (await read.json())["status"] == "withdrawn"


async def test_only_the_partner_that_sent_it_can_withdraw_it(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, other = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    receipt = await (await post(client, token, make_signal(address=IN_OOST))).json()
    await problem(await withdraw(client, other, receipt["id"]), 404)
    await problem(await withdraw(client, token, "00000000-0000-4000-8000-000000000000"), 404)
    await problem(await withdraw(client, token, "not-a-uuid"), 404)
    await problem(await withdraw(client, member, receipt["id"]), 404)  # not a partner's token
    read = await client.get(f"/api/v1/signals/{receipt['id']}", headers=bearer(token))
    assert (await read.json())["status"] == "routed"


@pytest.mark.parametrize(
    ("body", "headers", "status", "loc"),
    [
        ({"reason": ""}, {}, 422, ["reason"]),
        ({"reason": "x" * 1001}, {}, 422, ["reason"]),
        ({"why": "x"}, {}, 422, ["why"]),
        (b"reden", {"Content-Type": "text/plain"}, 415, None),
        (b"{", {"Content-Type": "application/json"}, 400, None),
    ],
)
async def test_a_bad_withdrawal_is_refused_and_changes_nothing(
    client: Client,
    haarlem: asyncpg.Pool,
    body: Any,
    headers: dict[str, str],
    status: int,
    loc: list[str] | None,
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    receipt = await (await post(client, token, make_signal(address=IN_OOST))).json()
    path = f"/api/v1/signals/{receipt['id']}/withdrawal"
    if isinstance(body, bytes):
        response = await client.post(path, data=body, headers={**bearer(token), **headers})
    else:
        response = await client.post(path, json=body, headers=bearer(token))
    found = await problem(response, status)
    if loc is not None:
        assert [error["loc"] for error in found["errors"]] == [loc]
    read = await client.get(f"/api/v1/signals/{receipt['id']}", headers=bearer(token))
    assert (await read.json())["status"] == "routed"


async def test_a_signal_the_team_finished_with_cannot_be_withdrawn(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    receipt = await (await post(client, token, make_signal(address=IN_OOST))).json()
    (case,) = await cases_of(client, member)
    await client.post(
        f"/api/v1/cases/{case['id']}/actions",
        json={"action": "decline", "reason": "Geen taak van het wijkteam"},
        headers=bearer(member),
    )
    found = await problem(await withdraw(client, token, receipt["id"]), 409)
    assert "can no longer be withdrawn" in found["detail"]


async def test_a_signal_withdrawn_from_the_coordinators_queue_leaves_it_and_its_data_goes(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    coordinator, _ = await make_user(haarlem, "coordinator")
    nowhere = {"postcode": "9999 ZZ", "house_number": 1}  # no team's area
    receipt = await (await post(client, token, make_signal(address=nowhere))).json()
    assert receipt["status"] == "unrouted"
    assert len(await coordinator_queue(haarlem, coordinator)) == 1

    response = await withdraw(client, token, receipt["id"], {"reason": "Verkeerd adres."})
    assert response.status == 202, await response.text()
    assert await coordinator_queue(haarlem, coordinator) == []
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow(
            "select status, personal, pseudonymised_at from signals where id = $1",
            UUID(receipt["id"]),
        )
    assert row is not None  # kept, without anyone in it: no team will ever work on it
    assert (row["status"], row["personal"]) == ("withdrawn", None)
    assert row["pseudonymised_at"] is not None


async def test_the_withdrawal_is_in_the_openapi_document(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    operation = document["paths"]["/api/v1/signals/{id}/withdrawal"]["post"]
    assert operation["requestBody"]["required"] is False
    assert {"200", "202", "404", "409", "422"} <= operation["responses"].keys()
    assert "WithdrawalIn" in document["components"]["schemas"]


async def test_a_withdrawal_and_the_teams_closing_at_once_never_deadlock(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """The team's step locks the case, then its signals; a withdrawal locks only the signal."""
    partner, token = await make_partner(haarlem, PartnerKind.GP)
    member, _ = await make_user(haarlem, "member", OOST)
    for number in range(1, 6):
        address = {"postcode": "2031 AA", "house_number": number}
        receipt = await (await post(client, token, make_signal(address=address))).json()
        case_id = await haarlem.fetchval(
            "select case_id from signals where id = $1", UUID(receipt["id"])
        )
        await act_on(haarlem, member, case_id, Take(action="take"))
        await act_on(
            haarlem, member, case_id, ContactAttempt(action="contact_attempt", reached=True)
        )
        closing = act_on(haarlem, member, case_id, Close(action="close", outcome=Outcome.OTHER))
        withdrawing = withdraw_signal(haarlem, partner, UUID(receipt["id"]))
        closed, withdrawn = await asyncio.gather(closing, withdrawing, return_exceptions=True)
        assert not isinstance(closed, Exception), closed  # closing never fails for it
        status = await haarlem.fetchval(
            "select status from signals where id = $1", UUID(receipt["id"])
        )
        if isinstance(withdrawn, Exception):  # the team was first: finished, not withdrawn
            assert isinstance(withdrawn, Conflict), withdrawn
            assert status == "closed"
        else:
            assert status == "withdrawn"
