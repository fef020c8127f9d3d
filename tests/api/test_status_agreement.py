"""What a partner is told about its signal is one answer in every channel: the API, its "Mijn
signalen" page, the FHIR Task and the webhook agree at every step of the case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub import labels
from hub.directory.accounts import create_user
from hub.feedback.delivery import deliver_feedback
from schemas.signals import PartnerKind, SignalStatus
from tests.support.factories import OOST, make_partner, make_signal, make_user
from tests.support.http import act, bearer, log_in, post
from tests.support.servers import WebhookReceiver, give_webhook, loopback_client, webhook_receiver

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"
OOST_NAME = "Sociaal Wijkteam Oost"

# Each path through the case: (action and its fields, the signal's status afterwards, the
# Task's status, and the feedback step the partner's webhook hears of, if any).
FULL_COURSE = [
    (None, "routed", "requested", "received"),
    ({"action": "take"}, "accepted", "accepted", None),
    ({"action": "contact_attempt", "reached": False}, "in_contact", "in-progress", None),
    ({"action": "contact_attempt", "reached": True}, "in_contact", "in-progress", "first_contact"),
    ({"action": "close", "outcome": "help_started"}, "closed", "completed", "outcome"),
]
RETURNED = [
    (None, "routed", "requested", "received"),
    ({"action": "return", "reason": "Hoort bij Noord"}, "returned", "requested", None),
]
DECLINED = [
    (None, "routed", "requested", "received"),
    ({"action": "assign", "user": "lead"}, "accepted", "accepted", None),
    ({"action": "decline", "reason": "Geen taak voor ons"}, "declined", "rejected", "outcome"),
]


async def partner_page(client: Client, signal_id: str) -> tuple[str, str]:
    """The partner's list and the signal's own page, as HTML."""
    listing = await (await client.get("/signalen")).text()
    own = await (await client.get(f"/signalen/{signal_id}")).text()
    return listing, own


@pytest.mark.parametrize(
    "course", [FULL_COURSE, RETURNED, DECLINED], ids=["closed", "returned", "declined"]
)
async def test_api_page_task_and_webhook_agree_at_every_step(
    client: Client, haarlem: asyncpg.Pool, course: list[Any]
) -> None:
    gp, gp_token = await make_partner(haarlem, PartnerKind.GP)
    email = f"{gp.id}@example.invalid"
    await create_user(haarlem, email, PASSWORD, "partner", gp)
    lead, lead_token = await make_user(haarlem, "lead", OOST)
    hook: WebhookReceiver
    async with webhook_receiver("secret") as (hook, url), loopback_client() as http:
        async with haarlem.acquire() as conn:
            await give_webhook(conn, gp.id, url, "secret")
        receipt = await (
            await post(
                client, gp_token, make_signal(address={"postcode": "2031AA", "house_number": 5})
            )
        ).json()
        await log_in(client, email, PASSWORD)
        case_id = None
        for action, status, task_status, step in course:
            if action is not None:
                if case_id is None:
                    cases = await (
                        await client.get("/api/v1/cases", headers=bearer(lead_token))
                    ).json()
                    (case,) = cases["items"]
                    case_id = case["id"]
                fields = {**action, "user": lead.email} if action.get("user") else action
                answered = await act(client, lead_token, case_id, **fields)
                assert answered.status == 200, await answered.text()
            shown = labels.signal_status(SignalStatus(status), OOST_NAME)

            api = await (
                await client.get(f"/api/v1/signals/{receipt['id']}", headers=bearer(gp_token))
            ).json()
            assert api["status"] == status

            listing, own = await partner_page(client, receipt["id"])
            assert shown in listing
            assert shown in own

            task = await (
                await client.get(f"/fhir/Task/{receipt['id']}", headers=bearer(gp_token))
            ).json()
            assert task["status"] == task_status
            assert task["businessStatus"]["text"] == shown

            before = len(hook.accepted)
            await deliver_feedback(haarlem, http, datetime.now(UTC))
            told = hook.accepted[before:]
            if step is None:
                assert told == []
            else:
                (payload,) = told
                assert (payload["step"], payload["status"]) == (step, status)
