"""A partner answers the survey in a real browser through the personal link a real SMTP server
received, without a login:
it saves its answers, sees them again, changes one, withdraws them (after a confirmation); a
closed survey's link says so. Each state fits a desktop and a phone and passes axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from hub.platform.clock import today
from hub.platform.config import Settings
from hub.platform.mail import deliver_mail
from hub.surveys.links import finish_mail
from hub.surveys.service import MAIL_TOPICS, links_of, start_survey
from tests.api.test_mail import Inbox, smtp  # noqa: F401 - a fixture
from tests.browser.test_walk import WIDTHS, axe_source, check  # noqa: F401 - a fixture
from tests.support.surveys import LINK, at, survey_partners


async def states(page: Page, axe: str, shots: Path, width: int) -> list[str]:
    """Walk the page's states as a partner would; what is wrong with each."""
    problems = await check(page, axe, shots, "survey-empty", width)
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Hoe werken de wijkteams met u samen?"
    )
    oost = page.locator("section", has=page.get_by_role("heading", name="Sociaal Wijkteam Oost"))
    groups = oost.locator("fieldset")
    assert await groups.count() == 7
    for index in range(7):
        choice = "Weet ik niet" if index == 6 else "Mee eens"
        await groups.nth(index).get_by_label(choice, exact=True).check()
    await oost.get_by_label("Toelichting over Sociaal Wijkteam Oost").fill(
        "Korte lijnen met de wijkcoach."
    )
    await page.get_by_role("button", name="Antwoorden opslaan").click()
    await expect(page.get_by_role("status")).to_contain_text("Uw antwoorden zijn opgeslagen")
    await expect(groups.nth(0).get_by_label("Mee eens", exact=True)).to_be_checked()
    await expect(groups.nth(6).get_by_label("Weet ik niet", exact=True)).to_be_checked()
    await expect(oost.get_by_label("Toelichting over Sociaal Wijkteam Oost")).to_have_value(
        "Korte lijnen met de wijkcoach."
    )
    problems += await check(page, axe, shots, "survey-saved", width)

    # A change: the first statement now "Helemaal mee oneens".
    await groups.nth(0).get_by_label("Helemaal mee oneens", exact=True).check()
    await page.get_by_role("button", name="Antwoorden opslaan").click()
    await expect(groups.nth(0).get_by_label("Helemaal mee oneens", exact=True)).to_be_checked()

    await page.get_by_role("button", name="Antwoorden intrekken").click()
    await expect(page.get_by_role("heading", name="Uw antwoorden intrekken?")).to_be_visible()
    problems += await check(page, axe, shots, "survey-confirm-withdraw", width)
    await page.get_by_role("button", name="Ja, intrekken").click()
    await expect(page.get_by_role("status")).to_contain_text("Uw antwoorden zijn ingetrokken")
    await expect(groups.nth(0).get_by_label("Helemaal mee oneens", exact=True)).not_to_be_checked()
    await expect(page.get_by_role("button", name="Antwoorden intrekken")).to_have_count(0)
    return problems


async def test_a_partner_answers_changes_and_withdraws_in_a_browser(
    browser: Browser,
    server: TestServer,
    haarlem: asyncpg.Pool,
    settings: Settings,
    smtp: tuple[Inbox, int],  # noqa: F811 - the fixture imported above
    axe_source: str,  # noqa: F811 - the fixture imported above
    screenshots: Path,
) -> None:
    # A survey that closed: its partners' links say so.
    old = await survey_partners(haarlem, 1, name="Huisarts Vroeger", days_ago=200)
    opened = today() - timedelta(days=100)
    closed = await start_survey(
        haarlem, opened + timedelta(days=20), None, public_url="", now=at(opened), mail=False
    )
    old_token = (await links_of(haarlem, closed.survey_id))[old[0].id]
    # The partner's link, as the real SMTP server received it from the outbox.
    inbox, port = smtp
    await survey_partners(haarlem, 2)
    await start_survey(
        haarlem,
        today() + timedelta(days=14),
        None,
        public_url=str(server.make_url("")).rstrip("/"),
        now=datetime.now(UTC),
    )
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    finish = dict.fromkeys(MAIL_TOPICS, finish_mail)
    assert await deliver_mail(haarlem, mail, datetime.now(UTC), finish) >= 2
    (invitation,) = [m for m in inbox.messages if m["To"] == "huisartsenpraktijk-1@example.invalid"]
    link = LINK.search(invitation.get_payload(decode=True).decode())
    assert link is not None
    token = link.group(1)
    problems: list[str] = []
    for width in WIDTHS:
        context = await browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=True
        )
        page = await context.new_page()
        response = await page.goto(str(server.make_url(f"/enquete/{token}")))
        assert response is not None
        assert response.status == 200
        problems += await states(page, axe_source, screenshots, width)
        response = await page.goto(str(server.make_url(f"/enquete/{old_token}")))
        assert response is not None
        assert response.status == 410
        await expect(page.get_by_role("heading", level=1)).to_have_text("Deze enquête is gesloten")
        assert not re.search("Opslaan", await page.content())
        problems += await check(page, axe_source, screenshots, "survey-closed", width)
        await context.close()
    assert not problems, "\n".join(problems)
