"""A manager reads the network page: whole labels that never overlap, filters that filter, a
weak link that lights up in the drawing; a team member cannot open it."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from schemas.signals import PartnerKind
from tests.support.browser import log_in
from tests.support.factories import make_partner, make_user
from tests.support.network import network_of, send

PASSWORD = "netwerk-wachtwoord"

# Every text in the drawing, with its box and the drawing's box, as the browser laid them out.
BOXES = """() => {
  const svg = document.querySelector('svg.network-drawing').getBoundingClientRect();
  const texts = [...document.querySelectorAll('svg.network-drawing text')].map(t => {
    const b = t.getBoundingClientRect();
    return {text: t.textContent, left: b.left, right: b.right, top: b.top, bottom: b.bottom};
  });
  return {svg: {left: svg.left, right: svg.right, top: svg.top, bottom: svg.bottom}, texts};
}"""


async def texts_are_whole_and_apart(page: Page) -> int:
    found = await page.evaluate(BOXES)
    svg, texts = found["svg"], found["texts"]
    assert texts
    for box in texts:
        assert svg["left"] <= box["left"], box
        assert box["right"] <= svg["right"], box
        assert svg["top"] <= box["top"], box
        assert box["bottom"] <= svg["bottom"], box
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            apart = (
                a["right"] <= b["left"]
                or b["right"] <= a["left"]
                or a["bottom"] <= b["top"]
                or b["bottom"] <= a["top"]
            )
            assert apart, (a, b)
    return len(texts)


async def test_manager_reads_filters_and_selects_a_weak_link(
    browser: Browser, server: TestServer, haarlem: asyncpg.Pool
) -> None:
    await network_of(haarlem)
    # A busy centre: many partners at one team, so that the drawing is dense there.
    for n in range(8):
        crowd, _ = await make_partner(
            haarlem, PartnerKind.OTHER, name=f"Buurtorganisatie met een heel lange naam {n}"
        )
        await send(haarlem, crowd, "2031AA", 20 + n, days_ago=2, kind="other")
    beach, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsen aan Zee")
    for n in range(6):
        await send(haarlem, beach, "2042AB", n + 1, days_ago=4)
    manager, _ = await make_user(haarlem, "manager", password=PASSWORD)
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST", password=PASSWORD)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await log_in(page, server, manager.email, PASSWORD)
    await page.get_by_role("link", name="Netwerk").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Partnernetwerk")
    assert await texts_are_whole_and_apart(page) >= 12
    who = page.locator("ol.who")
    await expect(who).to_contain_text("Buurtorganisatie met een heel lange naam 7")  # whole

    # A weak link, clicked, lights up in the drawing with its figures beside it.
    weak = page.get_by_role("region", name="Zwakke schakels")
    await expect(weak).to_contain_text("Opgedroogd: Politie naar Sociaal Wijkteam Oost")
    assert await page.locator("svg.network-drawing .selected").count() == 0
    before = await page.locator("svg.network-drawing").inner_html()
    await weak.get_by_role("link").filter(has_text="Opgedroogd").click()
    chosen = page.locator("#gekozen")
    await expect(chosen).to_contain_text("Opgedroogd: Politie naar Sociaal Wijkteam Oost")
    await expect(chosen.get_by_role("row", name="Signalen")).to_contain_text("0")
    await expect(chosen.get_by_role("row", name="Signalen")).to_contain_text("12")
    # The flow that stopped, and its two ends.
    assert await page.locator("svg.network-drawing line.selected").count() == 1
    assert await page.locator("svg.network-drawing g.node.selected").count() == 2
    assert await page.locator("svg.network-drawing").inner_html() != before

    # Zandvoort: only its own partners and its own weak links.
    await page.goto(str(server.make_url("/beheer/netwerk")))
    await page.get_by_label("Gemeente").select_option("Zandvoort")
    await page.get_by_role("button", name="Toon").click()
    listed = await who.locator("li").all_inner_texts()
    assert any("Huisartsen aan Zee" in item for item in listed)
    assert any("Sociaal Wijkteam Zandvoort" in item for item in listed)
    assert not any("Politie" in item or "Corporatie" in item or "Oost" in item for item in listed)
    links = await page.get_by_role("region", name="Zwakke schakels").inner_text()
    assert "Politie" not in links
    assert "Huisarts Oost" not in links
    assert await page.locator("svg.network-drawing g.node").count() == 2
    await texts_are_whole_and_apart(page)

    # An empty period says so instead of drawing nothing in a row.
    await page.goto(str(server.make_url("/beheer/netwerk?from=2020-01-01&to=2020-02-01")))
    await expect(page.get_by_role("status")).to_contain_text("Geen signalen in deze periode")
    assert await page.locator("svg.network-drawing").count() == 0

    other = await browser.new_context()
    refused = await other.new_page()
    await log_in(refused, server, member.email, PASSWORD)
    response = await refused.goto(str(server.make_url("/beheer/netwerk")))
    assert response is not None
    assert response.status == 404
    await other.close()
