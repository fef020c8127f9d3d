"""An administrator keeps the feedback agreements in a real browser: a refused form comes back as
typed with its errors, an agreement for one partner is added, changed and ended (after a
confirmation), and each state fits a desktop and a phone and passes axe-core."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from hub.platform.clock import today
from schemas.signals import PartnerKind
from tests.browser.test_walk import WIDTHS, axe_source, check  # noqa: F401 - a fixture
from tests.support.browser import log_in
from tests.support.factories import make_partner, make_user

PASSWORD = "afspraken-wachtwoord"


async def states(page: Page, axe: str, shots: Path, width: int) -> list[str]:
    """Walk the page's states, as an administrator would; what is wrong with each."""
    problems = []
    await page.get_by_label("Eén partner").select_option(label="Huisartsenpraktijk Zeeweg")
    await page.get_by_label("Of een soort partner").select_option(label="huisartsen")
    await page.get_by_label("Welk team belooft het?").select_option(label="Sociaal Wijkteam Oost")
    await page.get_by_label("Wat koppelt het team terug?").select_option(label="Eerste contact")
    await page.get_by_label("Binnen hoeveel werkdagen na ontvangst?").fill("2")
    await page.get_by_role("button", name="Afspraak toevoegen").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("Kies één partner óf een soort partner, niet allebei")
    await expect(summary).to_be_focused()
    await expect(page.get_by_label("Eén partner")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Binnen hoeveel werkdagen na ontvangst?")).to_have_value("2")
    problems += await check(page, axe, shots, "agreements-refused", width)

    await page.get_by_label("Of een soort partner").select_option("")
    await page.get_by_role("button", name="Afspraak toevoegen").click()
    await expect(page.get_by_role("status")).to_contain_text("De afspraak is toegevoegd")
    row = page.get_by_role("row").filter(has_text="Huisartsenpraktijk Zeeweg").first
    await expect(row).to_contain_text(f"sinds {today():%d-%m-%Y}")
    problems += await check(page, axe, shots, "agreements-added", width)

    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Afspraak wijzigen of beëindigen"
    )
    await page.get_by_label("Binnen hoeveel werkdagen na ontvangst?").fill("3")
    await page.get_by_role("button", name="Wijziging opslaan").click()
    await expect(page.get_by_role("status")).to_contain_text("De afspraak is gewijzigd")
    current = page.get_by_role("row").filter(has_text="Huisartsenpraktijk Zeeweg").first
    await expect(current).to_contain_text("binnen 3 werkdagen")

    await current.get_by_role("link").click()
    await page.get_by_role("button", name="Afspraak beëindigen").click()
    await expect(page.get_by_role("heading", name="Afspraak beëindigen?")).to_be_visible()
    problems += await check(page, axe, shots, "agreement-confirm-end", width)
    await page.get_by_role("button", name="Ja, beëindigen").click()
    await expect(page.get_by_role("status")).to_contain_text("De afspraak is beëindigd")
    earlier = page.locator("table", has=page.locator("th", has_text="Voor wie")).last
    await expect(earlier).to_contain_text(f"beëindigd op {today():%d-%m-%Y}")
    await expect(earlier).to_contain_text(f"gewijzigd op {today():%d-%m-%Y}")
    problems += await check(page, axe, shots, "agreements-ended", width)
    return problems


async def test_an_administrator_adds_changes_and_ends_an_agreement(
    browser: Browser,
    server: TestServer,
    haarlem: asyncpg.Pool,
    axe_source: str,  # noqa: F811 - the fixture imported above
    screenshots: Path,
) -> None:
    await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Zeeweg")
    await make_partner(haarlem, PartnerKind.WORK_INCOME, name="Werkplein Zuid-Kennemerland")
    problems: list[str] = []
    for width in WIDTHS:
        admin, _ = await make_user(haarlem, "admin", password=PASSWORD)
        context = await browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=True
        )
        page = await context.new_page()
        await log_in(page, server, admin.email, PASSWORD)
        await page.goto(str(server.make_url("/beheer/afspraken")))
        problems += await states(page, axe_source, screenshots, width)
        await context.close()
    assert not problems, "\n".join(problems)
