"""A partner learns nothing of other partners: a signal about a household the team already
works on is answered exactly as one about a household the hub has never seen, through every
channel (API, FHIR, CSV batch, web form, webhook), and then follows only what happens after it
arrived."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestClient

from hub.directory.accounts import create_user
from hub.feedback.delivery import deliver_feedback
from schemas.signals import PartnerKind
from tests.support.batches import finished, upload
from tests.support.factories import make_partner, make_signal, make_user
from tests.support.fhir import FHIR, contained
from tests.support.http import act, bearer, log_in, post, signal_form
from tests.support.servers import give_webhook, loopback_client, webhook_receiver

Client = TestClient[Any, Any]
WEST = "SWT-HLM-WEST"
HOUSEHOLD = {"postcode": "2015 GB", "house_number": 7}
ROUTED = "Ontvangen en doorgestuurd naar Sociaal Wijkteam West"
PASSWORD = "een lang wachtwoord"


async def test_a_second_partner_is_told_what_a_first_one_would_be(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, first_token = await make_partner(haarlem, PartnerKind.GP)
    api, api_token = await make_partner(haarlem, PartnerKind.POLICE)
    fhir, fhir_token = await make_partner(haarlem, PartnerKind.GP)
    batch, batch_token = await make_partner(haarlem, PartnerKind.HOUSING)
    form, _ = await make_partner(haarlem, PartnerKind.OTHER)
    _, lead = await make_user(haarlem, "lead", WEST)

    # The first partner's signal: the team takes it and reaches the household.
    await post(client, first_token, make_signal(address=HOUSEHOLD))
    (case,) = (await (await client.get("/api/v1/cases", headers=bearer(lead))).json())["items"]
    await act(client, lead, case["id"], action="take")
    await act(client, lead, case["id"], action="contact_attempt", reached=True)

    async with webhook_receiver("secret") as (hook, url), loopback_client() as http:
        async with haarlem.acquire() as conn:
            for partner in (api, fhir, batch, form):
                await give_webhook(conn, partner.id, url, "secret")

        by_api = await (
            await post(client, api_token, make_signal(kind="care_report", address=HOUSEHOLD))
        ).json()
        assert (by_api["status"], by_api["team"]["code"]) == ("routed", WEST)

        referral = contained(address={"line": ["Ramplaan 7"], "postalCode": "2015gb"})
        created = await (
            await client.post(
                "/fhir/ServiceRequest",
                data=json.dumps(referral),
                headers={**bearer(fhir_token), "Content-Type": FHIR},
            )
        ).json()
        task = await (
            await client.get(f"/fhir/Task/{created['id']}", headers=bearer(fhir_token))
        ).json()
        assert (task["status"], task["businessStatus"]["text"]) == ("requested", ROUTED)

        rows = "Referentie;Postcode;Huisnummer;Achterstand\r\nHV-9;2015 GB;7;850,00\r\n"
        sent = await (await upload(client, batch_token, rows.encode("cp1252"))).json()
        assert (await finished(client, batch_token, sent["id"]))["counts"]["accepted"] == 1

        email = f"{form.id}@example.invalid"
        await create_user(haarlem, email, PASSWORD, "partner", form)
        await log_in(client, email, PASSWORD)
        page = await (await client.get("/signalen/nieuw")).text()
        shown = await client.post(
            "/signalen/nieuw",
            data=signal_form(
                page,
                kind="other",
                postcode="2015 GB",
                house_number="7",
                informed="yes",
                reason="",
                description="Zorgen.",
            ),
        )
        assert ROUTED in await shown.text()

        await deliver_feedback(haarlem, http, datetime.now(UTC))
        told = {body["signal_id"]: body["status"] for body in hook.accepted}
        assert len(told) == 4
        assert set(told.values()) == {"routed"}

        # What happens now is news to every partner, and each hears of it.
        await act(client, lead, case["id"], action="contact_attempt", reached=False)
        async with haarlem.acquire() as conn:
            statuses = await conn.fetch(
                "select status from signals where id = any($1::uuid[])", [UUID(i) for i in told]
            )
        assert [row["status"] for row in statuses] == ["in_contact"] * 4
    answered = await client.get(f"/api/v1/signals/{by_api['id']}", headers=bearer(api_token))
    assert (await answered.json())["status"] == "in_contact"
