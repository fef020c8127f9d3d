from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import networkx as nx
import pytest
from aiohttp.test_utils import TestClient

from hub.directory.service import add_team, create_partner
from hub.network.service import NetworkQuery, load_facts
from hub.platform.clock import LOCAL_TIME
from hub.platform.errors import InvalidFields
from schemas.signals import PartnerKind
from tests.support.factories import make_admin_token, make_partner, make_user, signed_in
from tests.support.http import bearer, problem
from tests.support.network import network_of

Client = TestClient[Any, Any]


async def test_facts_are_counts_only(haarlem: asyncpg.Pool) -> None:
    gp, housing, police = await network_of(haarlem)
    today = datetime.now(LOCAL_TIME).date()
    facts = await load_facts(haarlem, NetworkQuery(today - timedelta(days=41), today))
    flows = {(f.partner, f.team): (f.count, f.previous) for f in facts.flows}
    assert flows[(str(gp.id), "SWT-HLM-OOST")] == (7, 0)
    assert flows[(str(police.id), "SWT-HLM-OOST")] == (0, 12)
    assert flows[(str(housing.id), "SWT-HLM-CENTRUM")] == (1, 0)
    assert [(c.households) for c in facts.cosignals] == [1]


async def test_network_json_masks_small_counts_and_lists_weak_links(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await network_of(haarlem)
    _, manager = await make_user(haarlem, "manager")
    response = await client.get("/api/v1/network", headers=bearer(manager))
    assert response.status == 200
    body = await response.json()
    links = body["graph"]["links"]
    cosignal = next(link for link in links if link["relation"] == "cosignal")
    assert cosignal["households"] == "<5"
    gp_flow = next(link for link in links if link.get("count") == 7)
    assert gp_flow["relation"] == "flow"
    kinds = {link["kind"] for link in body["weak_links"]}
    assert {"dried_up_flow", "no_agreement", "bridge"} <= kinds
    text = str(body)
    assert "de Vries" not in text
    assert "2031" not in text


async def test_exports_for_gephi(client: Client, haarlem: asyncpg.Pool) -> None:
    await network_of(haarlem)
    admin = await make_admin_token(haarlem)
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        response = await client.get(f"/api/v1/network?format={fmt}", headers=bearer(admin))
        assert response.status == 200
        graph = reader(io.BytesIO((await response.text()).encode()))
        assert graph.number_of_nodes() >= 11  # 9 teams and the signalling partners
        assert any(data.get("relation") == "cosignal" for *_, data in graph.edges(data=True))


async def test_control_characters_never_reach_a_name_or_an_export(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    with pytest.raises(InvalidFields):
        await create_partner(haarlem, "Praktijk\x0bDe Linde", PartnerKind.GP)
    with pytest.raises(InvalidFields):
        await add_team(haarlem, "SWT-X", "Team\u202eX", "GM0392", "Haarlem")
    await network_of(haarlem)
    async with haarlem.acquire() as conn:  # a name stored before such names were refused
        await conn.execute(
            "update partners set name = 'Huisarts\x01 Oost' where name = 'Huisarts Oost'"
        )
    admin = await make_admin_token(haarlem)
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        response = await client.get(f"/api/v1/network?format={fmt}", headers=bearer(admin))
        graph = reader(io.BytesIO((await response.text()).encode()))
        assert "Huisarts Oost" in {data["label"] for _, data in graph.nodes(data=True)}


async def test_network_is_for_managers(client: Client, haarlem: asyncpg.Pool) -> None:
    _, member = await make_user(haarlem, "member", "SWT-HLM-OOST")
    _, gp_token = await make_partner(haarlem)
    _, manager = await make_user(haarlem, "manager")
    await problem(await client.get("/api/v1/network", headers=bearer(member)), 403)
    await problem(await client.get("/api/v1/network", headers=bearer(gp_token)), 403)
    await problem(await client.get("/api/v1/network"), 401)
    await problem(await client.get("/api/v1/network?from=2026-13-01", headers=bearer(manager)), 422)
    await problem(await client.get("/api/v1/network?format=png", headers=bearer(manager)), 422)


async def test_the_page_draws_the_network_for_managers_only(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await network_of(haarlem)
    manager, _ = await make_user(haarlem, "manager", password="manager-wachtwoord")
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST", password="lid-wachtwoord")
    session = await signed_in(haarlem, manager.email, "manager-wachtwoord")
    assert session is not None
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    html = await (await client.get("/beheer/netwerk?partner_kind=")).text()
    assert "<svg" in html
    assert "Opgedroogd: Politie naar Sociaal Wijkteam Oost" in html
    assert len(re.findall(r"<circle ", html)) >= 11
    filtered = await (await client.get("/beheer/netwerk?partner_kind=gp")).text()
    assert "Politie" not in filtered
    client.session.cookie_jar.clear()
    other = await signed_in(haarlem, member.email, "lid-wachtwoord")
    assert other is not None
    client.session.cookie_jar.update_cookies({"hub_session": other.token})
    assert (await client.get("/beheer/netwerk")).status == 404


async def test_nightly_snapshot_keeps_figures_per_day(haarlem: asyncpg.Pool) -> None:
    from hub.network.service import earlier_figures, snapshot

    await network_of(haarlem)
    today = datetime.now(LOCAL_TIME).date()
    first = await snapshot(haarlem, today - timedelta(days=1))
    assert first > 0
    assert await snapshot(haarlem, today - timedelta(days=1)) == first  # idempotent
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from network_snapshots") == first
    earlier = await earlier_figures(haarlem, today)
    flows = [figures for _, figures in earlier.values() if "count" in figures]
    assert flows
    assert all(
        set(figures) <= {"count", "previous", "agreement", "due", "on_time"} for figures in flows
    )


async def test_the_page_gives_its_drawing_and_tables_to_take_away(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await network_of(haarlem)
    manager, _ = await make_user(haarlem, "manager", password="manager-wachtwoord")
    session = await signed_in(haarlem, manager.email, "manager-wachtwoord")
    assert session is not None
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    svg = await client.get("/beheer/netwerk?download=svg")
    assert svg.content_type == "image/svg+xml"
    assert "attachment" in svg.headers["Content-Disposition"]
    drawing = await svg.text()  # a standalone SVG file
    assert drawing.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    )
    assert drawing.rstrip().endswith("</svg>")
    links = await client.get("/beheer/netwerk?download=verbindingen")
    assert links.content_type == "text/csv"
    body = await links.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Van", "Naar", "Soort", "Deze periode", "Vorige periode", "Zwakke schakel"]
    assert ["Huisarts Oost", "Sociaal Wijkteam Oost", "signalen", "7", "0", "ja"] in rows
    assert (await client.get("/beheer/netwerk?download=alles")).status == 404
    for wrong in ("0", "999", "1x", "\u0661"):  # the last: an Arabic-Indic one
        assert (await client.get(f"/beheer/netwerk?schakel={wrong}")).status == 404
    chosen = await (await client.get("/beheer/netwerk?schakel=1")).text()
    assert 'id="gekozen"' in chosen
