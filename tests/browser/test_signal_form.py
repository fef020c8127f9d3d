"""A partner without an integration: login, a field error, the team shown, sent, listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from hub.app import create_app
from hub.directory.accounts import create_user
from hub.platform.config import Settings
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.browser import log_in
from tests.support.factories import make_partner

EMAIL = "assistent@huisarts-delinde.invalid"
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def server(haarlem: asyncpg.Pool, dsn: str, settings: Settings) -> AsyncIterator[TestServer]:
    partner, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk De Linde")
    await create_user(haarlem, EMAIL, PASSWORD, "partner", partner)
    test_server = TestServer(create_app(settings, dsn))
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def test_partner_sends_a_signal_through_the_form(
    browser: Browser, server: TestServer, haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    page = await browser.new_page()
    scripts_run: list[Any] = []
    page.on("dialog", lambda dialog: scripts_run.append(dialog))

    await page.goto(str(server.make_url("/inloggen")))
    await page.get_by_label("E-mailadres").fill(EMAIL)
    await page.get_by_label("Wachtwoord").fill("wrong")
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page.get_by_role("alert")).to_contain_text("klopt niet")

    await log_in(page, server, EMAIL, PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw signaal doorgeven")
    await expect(page.get_by_text("Niet voor spoed.")).to_be_visible()

    # A field error: shown in the summary and beside the field.
    await page.get_by_label("Soort signaal").select_option("care_concern")
    await page.get_by_label("Postcode").fill("0123 AB")
    await page.get_by_label("Huisnummer").fill("7")
    await page.get_by_label("Ja").check()
    await page.get_by_label("Omschrijving").fill("Mist afspraken <script>alert(1)</script>")
    await page.get_by_role("button", name="Versturen").click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Een postcode begint niet met 0")
    await expect(summary).to_be_focused()  # read first, and a keyboard starts there
    await expect(page.get_by_label("Postcode")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Omschrijving")).to_have_value(
        "Mist afspraken <script>alert(1)</script>"
    )

    # The team that serves the address is shown before sending.
    await page.get_by_label("Postcode").fill("2034 JE")
    await page.get_by_role("button", name="Adres controleren").click()
    await expect(page.get_by_role("status")).to_contain_text("Sociaal Wijkteam Schalkwijk-Zuid")

    await page.get_by_role("button", name="Versturen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Signaal ontvangen")
    await expect(page.get_by_role("status")).to_contain_text("Uw signaal is veilig ontvangen")
    await expect(page.locator(".preview")).to_contain_text("Sociaal Wijkteam Schalkwijk-Zuid")
    reference = await page.locator("dt:text-is('Uw kenmerk') + dd").inner_text()
    assert reference.startswith("WEB-")
    await page.screenshot(path=tmp_path / "sent.png", full_page=True)

    await page.get_by_role("link", name="Naar mijn signalen").click()
    row = page.get_by_role("row").filter(has_text=reference)
    await expect(row).to_contain_text("doorgestuurd naar Sociaal Wijkteam Schalkwijk-Zuid")

    async with haarlem.acquire() as conn:
        stored = [unsealed(row) for row in await conn.fetch("select * from signals")]
    assert [(row["external_ref"]) for row in stored] == [reference]
    assert stored[0]["description"] == "Mist afspraken <script>alert(1)</script>"
    assert scripts_run == []


async def test_keyboard_only(browser: Browser, server: TestServer) -> None:
    page = await browser.new_page()
    await page.goto(str(server.make_url("/inloggen")))
    await page.keyboard.press("Tab")  # the skip link
    await page.keyboard.press("Tab")
    await page.keyboard.type(EMAIL)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw signaal doorgeven")
