"""A manager opens the network page, filters it and sees the drawing; a team member cannot."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from tests.support.browser import log_in
from tests.support.factories import make_user
from tests.support.network import network_of

PASSWORD = "netwerk-wachtwoord"


async def test_manager_filters_the_network(
    browser: Browser, server: TestServer, haarlem: asyncpg.Pool, tmp_path: Path
) -> None:
    await network_of(haarlem)
    manager, _ = await make_user(haarlem, "manager", password=PASSWORD)
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST", password=PASSWORD)
    page = await browser.new_page(viewport={"width": 1300, "height": 900})
    await log_in(page, server, manager.email, PASSWORD)
    await page.get_by_role("link", name="Netwerk").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Partnernetwerk")
    weak = page.get_by_role("region", name="Zwakke schakels")
    await expect(weak).to_contain_text("Opgedroogd: Politie naar Sociaal Wijkteam Oost")
    assert await page.locator("svg circle").count() >= 11
    link = weak.get_by_role("link").filter(has_text="Opgedroogd")
    target = (await link.get_attribute("href") or "").removeprefix("#")
    assert await page.locator(f'[id="{target}"]').count() == 1  # it points into the drawing

    await page.get_by_label("Soort partner").select_option("gp")
    await page.get_by_role("button", name="Toon").click()
    await expect(page.get_by_role("region", name="Zwakke schakels")).not_to_contain_text("Politie")
    assert "partner_kind=gp" in page.url
    figure = page.locator("figure").first
    await figure.screenshot(path=tmp_path / "network.png")
    assert (tmp_path / "network.png").stat().st_size > 5_000

    other = await browser.new_context()
    refused = await other.new_page()
    await log_in(refused, server, member.email, PASSWORD)
    response = await refused.goto(str(server.make_url("/beheer/netwerk")))
    assert response is not None
    assert response.status == 404
    await other.close()
