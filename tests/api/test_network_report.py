"""The nightly network report: a network too large to draw is served from it, a page of weak
links at a time, by kind, with a chosen link's figures; filters fall back to a live analysis."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.network import report
from hub.network.service import default_query, network
from hub.platform.clock import LOCAL_TIME
from hub.platform.config import Settings
from hub.surveys.results import verdict_facts
from hub.web.appkeys import SETTINGS
from hub.web.pages import network as page
from tests.support.factories import make_user, signed_in
from tests.support.network import network_of, send

Client = TestClient[Any, Any]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The demo network (3 partners, 9 teams) counts as too large to draw."""
    return settings.model_copy(update={"network_draw_limit": 5})


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two links a page."""
    monkeypatch.setattr(page, "PAGE_SIZE", 2)


async def as_manager(client: Client, pool: asyncpg.Pool) -> None:
    manager, _ = await make_user(pool, "manager", password="manager-wachtwoord")
    session = await signed_in(pool, manager.email, "manager-wachtwoord")
    assert session is not None
    client.session.cookie_jar.update_cookies({"hub_session": session.token})


def items(html: str) -> list[tuple[int, str]]:
    """The numbered weak links of a page: (number, text)."""
    return [
        (int(number), re.sub(r"\s+", " ", text).strip())
        for number, text in re.findall(
            r'<li value="(\d+)"><a href="[^"]*">([^<]*)</a>', html, flags=re.S
        )
    ]


async def test_the_night_keeps_the_weak_links_in_the_order_shown(haarlem: asyncpg.Pool) -> None:
    await network_of(haarlem)
    today = datetime.now(LOCAL_TIME).date()
    found = await report.nightly(haarlem, today, verdict_facts)
    live = await network(haarlem, default_query(today))
    assert found == len(live.weak_links) > 3
    head = await report.latest(haarlem)
    assert head is not None
    assert (head.day, head.partners, head.teams) == (today, 3, 9)
    assert head.weak_links == found
    assert sum(head.by_kind.values()) == found
    kept = await report.page_of_links(haarlem, today, None, 0, found + 5)
    assert [item.place for item in kept] == list(range(1, found + 1))
    assert [item.link.nodes for item in kept] == [link.nodes for link in live.weak_links]
    assert [item.link.evidence for item in kept] == [link.evidence for link in live.weak_links]
    gp_link = next(item for item in kept if "partner:" in item.link.nodes[0])
    assert set(gp_link.labels.values()) & {"Huisarts Oost", "Corporatie", "Politie"}
    # The same night again replaces it; a report older than two weeks goes.
    await report.nightly(haarlem, today, verdict_facts)
    await report.nightly(haarlem, today - timedelta(days=20), verdict_facts)
    await report.nightly(haarlem, today, verdict_facts)
    async with haarlem.acquire() as conn:
        days = await conn.fetch("select day from network_reports order by day")
        assert [row["day"] for row in days] == [today]
        assert await conn.fetchval("select count(*) from network_report_links") == found


async def test_a_large_network_is_listed_from_last_nights_report(
    client: Client, haarlem: asyncpg.Pool, small_limits: None
) -> None:
    gp, _, _ = await network_of(haarlem)
    today = datetime.now(LOCAL_TIME).date()
    found = await report.nightly(haarlem, today, verdict_facts)
    # Signals after the night do not change the page: it is last night's report.
    for n in range(20, 40):
        await send(haarlem, gp, "2011AA", n, days_ago=0)
    await as_manager(client, haarlem)

    html = await (await client.get("/beheer/netwerk")).text()
    assert "te groot om te tekenen" in html
    assert "Stand van afgelopen nacht" in html
    assert "<circle" not in html.split("</form>", 1)[1]  # no drawing, only the legend-free list
    assert f"1 tot en met 2 van {found}" in html
    assert [number for number, _ in items(html)] == [1, 2]
    second = await (await client.get("/beheer/netwerk?pagina=2")).text()
    assert [number for number, _ in items(second)] == [3, 4]
    assert 'rel="prev"' in second
    assert (await client.get("/beheer/netwerk?pagina=999")).status == 404
    assert (await client.get("/beheer/netwerk?pagina=0")).status == 404

    # By kind: the dried-up flow of the police.
    dried = await (await client.get("/beheer/netwerk?soort=dried_up_flow")).text()
    listed = items(dried)
    assert len(listed) == 1
    assert listed[0][1].startswith("Opgedroogd: Politie naar Sociaal Wijkteam Oost")
    assert (await client.get("/beheer/netwerk?soort=onzin")).status == 404

    # A chosen link with its figures; small counts masked.
    chosen = await (await client.get(f"/beheer/netwerk?schakel={listed[0][0]}")).text()
    assert 'id="gekozen"' in chosen
    assert '<th scope="row">Signalen</th><td>0</td><td>12</td>' in chosen
    bridges = items(await (await client.get("/beheer/netwerk?soort=bridge")).text())
    lonely = next(number for number, text in bridges if "Corporatie" in text and "Centrum" in text)
    chosen = await (await client.get(f"/beheer/netwerk?schakel={lonely}")).text()
    assert '<th scope="row">Signalen</th><td>&lt;5</td>' in chosen
    assert (await client.get(f"/beheer/netwerk?schakel={found + 1}")).status == 404
    assert (await client.get("/beheer/netwerk?download=verbindingen")).status == 404


async def test_filters_and_a_stale_report_are_computed_now(
    client: Client, haarlem: asyncpg.Pool, small_limits: None
) -> None:
    await network_of(haarlem)
    today = datetime.now(LOCAL_TIME).date()
    await report.nightly(haarlem, today - timedelta(days=3), verdict_facts)
    await as_manager(client, haarlem)
    stale = await (await client.get("/beheer/netwerk")).text()
    assert "Nu berekend" in stale  # still too large, but not from a report three days old
    filtered = await (await client.get("/beheer/netwerk?municipality=Haarlem")).text()
    assert "Nu berekend" in filtered
    assert "Stand van afgelopen nacht" not in filtered


async def test_a_network_under_the_limit_is_drawn_even_with_a_report(
    client: Client, haarlem: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    await network_of(haarlem)
    await report.nightly(haarlem, datetime.now(LOCAL_TIME).date(), verdict_facts)
    await as_manager(client, haarlem)
    monkeypatch.setattr(client.app[SETTINGS], "network_draw_limit", 12)  # 3 partners, 9 teams
    html = await (await client.get("/beheer/netwerk")).text()
    assert "te groot om te tekenen" not in html
    assert len(re.findall(r"<circle ", html)) >= 11
