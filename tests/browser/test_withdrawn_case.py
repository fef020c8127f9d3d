"""A case whose GP referral (coded, from a GP's system) was withdrawn, as its team sees it: at a
desktop's and a phone's width, in words, and without serious accessibility problems."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser

from connectors.fhir import KindCodes, referral_from_service_request
from connectors.fhir_codes import SNOMED
from hub.intake.fhir import submit_referral
from hub.intake.withdrawal import withdraw_signal
from schemas.signals import PartnerKind, default_kind, kinds_for
from tests.browser.test_walk import WIDTHS, axe_source, check  # noqa: F401 - axe_source: fixture
from tests.support.browser import log_in
from tests.support.factories import OOST, make_partner, make_user

PASSWORD = "rondgang-wachtwoord"


async def test_a_withdrawn_coded_referral_on_its_case_page(
    browser: Browser,
    server: TestServer,
    haarlem: asyncpg.Pool,
    axe_source: str,  # noqa: F811 - the fixture imported above
    screenshots: Path,
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Schalkwijk")
    member, _ = await make_user(haarlem, "member", OOST, password=PASSWORD, name="Sanne Lid")
    request = {
        "resourceType": "ServiceRequest",
        "id": "SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample",
        "status": "active",
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": SNOMED,
                    "code": "467771000124109",
                    "display": "Assistance with application for food pantry program",
                }
            ]
        },
        "subject": {"reference": "#p1"},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p1",
                "name": [{"text": "C. Abbas"}],
                "address": [{"line": ["Kruisweg 12"], "postalCode": "2031 AA"}],
            }
        ],
    }
    codes = KindCodes(allowed=kinds_for(gp.kind), fallback=default_kind(gp.kind))
    result = await submit_referral(haarlem, gp, referral_from_service_request(request, codes))
    signal_id = UUID(result.task["id"])
    await withdraw_signal(
        haarlem, gp, signal_id, "Mevrouw heeft zelf contact gezocht met het wijkteam."
    )
    case = await haarlem.fetchval("select case_id from signals where id = $1", signal_id)
    problems: list[str] = []
    for width in WIDTHS:
        context = await browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=True
        )
        page = await context.new_page()
        await log_in(page, server, member.email, PASSWORD)
        response = await page.goto(str(server.make_url(f"/inbox/zaken/{case}")))
        assert response is not None
        assert response.status == 200
        text = await page.evaluate("document.body.innerText")
        assert "Code van de verwijzer: Assistance with application for food pantry program" in text
        assert "Ingetrokken door de partner" in text
        assert "signaal ingetrokken door Huisartsenpraktijk Schalkwijk" in text
        problems += await check(page, axe_source, screenshots, "withdrawn-case", width)
        await context.close()
    assert not problems, "\n".join(problems)
