"""A district team member works a case in the inbox; another team cannot open it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from hub.app import create_app
from hub.feedback.agreements import add_agreement
from hub.platform.config import Settings
from schemas.signals import PartnerKind
from tests.support.browser import log_in
from tests.support.factories import OOST, make_partner, make_user, signal_from

PASSWORD = "wachtwoord-voor-de-test"


@pytest.fixture
async def server(haarlem: asyncpg.Pool, dsn: str, settings: Settings) -> AsyncIterator[TestServer]:
    quick = settings.model_copy(update={"inbox_refresh_seconds": 0.3})
    test_server = TestServer(create_app(quick, dsn))
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def test_member_works_a_case_from_new_to_closed(
    browser: Browser, server: TestServer, haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    await add_agreement(haarlem, step="first_contact", working_days=3)
    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk De Linde")
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    member, _ = await make_user(haarlem, "member", OOST, password=PASSWORD, name="Sanne de Wit")
    stranger, _ = await make_user(haarlem, "member", "SWT-HLM-ZUID", password=PASSWORD)
    await signal_from(haarlem, gp, description="Mist afspraken, noemt geldzorgen.")
    await signal_from(haarlem, housing, description="Drie maanden huurachterstand.")

    page = await browser.new_page()
    await log_in(page, server, member.email, PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inbox Sociaal Wijkteam Oost")
    await expect(page.locator('[data-count="new"]')).to_have_text("1")
    await expect(page.get_by_text("Meerdere partners", exact=True)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="2031 AA 9B-BIS")
    await expect(row).to_contain_text("Zorgen over gezondheid of welzijn, Huurachterstand")
    await expect(row).to_contain_text("Huisartsenpraktijk De Linde")
    await expect(row).to_contain_text("Eerste contact uiterlijk")  # the deadline names its step

    await page.get_by_role("link", name="2031 AA 9B-BIS").click()
    case_url = page.url
    await expect(page.get_by_role("heading", name="Signalen (2)")).to_be_visible()
    await page.get_by_role("button", name="Oppakken").click()
    await expect(page.get_by_role("status")).to_have_text(
        "U heeft de zaak opgepakt en bent nu de regisseur."
    )
    await expect(page.get_by_text("Sanne de Wit").first).to_be_visible()  # by name, not e-mail
    assert await page.get_by_text(member.email).count() == 0

    await page.get_by_role("button", name="Niet bereikt").click()
    await expect(page.get_by_text("Contact gezocht, nog niet bereikt")).to_be_visible()
    await page.get_by_role("button", name="Contact gelukt").click()
    await expect(page.get_by_text("In contact", exact=True)).to_be_visible()
    outcome = page.get_by_label("Uitkomst", exact=True)
    assert await outcome.input_value() == ""  # no outcome is chosen for the worker
    await outcome.select_option("help_started")
    await page.get_by_label("Notitie").nth(1).fill("Budgetcoach ingeschakeld.")
    await page.get_by_role("button", name="Afsluiten", exact=True).click()
    # Closing tells the partners: the page asks first, and nothing has happened yet.
    await expect(page.get_by_role("heading", name="Zaak afsluiten?")).to_be_visible()
    await expect(page.get_by_text("In contact", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Ja, afsluiten").click()
    await expect(page.get_by_role("status")).to_contain_text("De zaak is afgesloten")
    await expect(page.get_by_text("Budgetcoach ingeschakeld.")).to_be_visible()  # in the timeline
    await expect(page.get_by_role("link", name="Afdrukken")).to_be_visible()
    await page.emulate_media(media="print")  # the print view: the case without menu or forms
    await expect(page.locator("header.site")).to_be_hidden()
    await expect(page.get_by_role("button", name="Notitie opslaan")).to_be_hidden()
    await expect(page.get_by_role("heading", name="Tijdlijn")).to_be_visible()
    await page.emulate_media(media="screen")
    await expect(page.get_by_text("Afgesloten: Hulp gestart", exact=True)).to_be_visible()
    timeline = page.get_by_role("listitem").filter(has_text="contactpoging, niet bereikt")
    await expect(timeline).to_have_count(1)
    await page.screenshot(path=tmp_path / "case.png", full_page=True)

    await page.get_by_role("link", name="Terug naar de inbox").click()
    await expect(page.locator('[data-count="closed"]')).to_have_text("1")

    other = await browser.new_context()
    stranger_page = await other.new_page()
    await log_in(stranger_page, server, stranger.email, PASSWORD)
    response = await stranger_page.goto(case_url)
    assert response is not None
    assert response.status == 404
    await expect(stranger_page.get_by_text("niet van uw team")).to_be_visible()
    await other.close()


async def test_new_signals_show_up_in_the_counts_without_a_reload(
    browser: Browser, server: TestServer, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    member, _ = await make_user(haarlem, "member", OOST, password=PASSWORD)
    await signal_from(haarlem, gp)
    page = await browser.new_page()
    await log_in(page, server, member.email, PASSWORD)
    await expect(page.locator('[data-count="new"]')).to_have_text("1")
    await signal_from(haarlem, gp, address={"postcode": "2032AB", "house_number": 4})
    await expect(page.locator('[data-count="new"]')).to_have_text("2")
    await expect(page.get_by_text("Er zijn nieuwe signalen binnengekomen.")).to_be_visible()


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>'; drop table signals; --"


async def test_markup_in_a_signal_is_shown_as_text_and_never_runs(
    browser: Browser, server: TestServer, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    member, _ = await make_user(haarlem, "member", OOST, password=PASSWORD)
    await signal_from(
        haarlem,
        gp,
        description=HOSTILE,
        person={"name": "<b onmouseover=alert(3)>Jan</b>"},
        resident_informed={"informed": False, "reason": HOSTILE},
    )
    page = await browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await log_in(page, server, member.email, PASSWORD)
    await page.get_by_role("link", name="2031 AA 9B-BIS").click()
    # Stored verbatim and shown as the text it is: the description, the reason and the name.
    await expect(page.get_by_text(HOSTILE, exact=True)).to_have_count(1)
    await expect(page.get_by_text(HOSTILE)).to_have_count(2)
    await expect(page.get_by_text("<b onmouseover=alert(3)>Jan</b>")).to_be_visible()
    await page.get_by_text("<b onmouseover=alert(3)>Jan</b>").hover()
    assert await page.locator("img[src=x], b[onmouseover]").count() == 0
    await page.wait_for_timeout(300)
    assert dialogs == []
