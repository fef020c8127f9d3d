"""Every figure a manager sees passes the one masking rule: no count of 1 to 4 anywhere (page,
JSON, GraphML, GEXF), and no rate or p-value beside a masked count it would give away."""

from __future__ import annotations

import io
import re
from typing import Any

import asyncpg
import networkx as nx
from aiohttp.test_utils import TestClient

from hub.feedback.agreements import add_agreement
from hub.privacy.masking import masked_figures, shown, shown_rate, shown_total
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_user, signed_in
from tests.support.http import bearer
from tests.support.network import network_of, send

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"
# Figures that count no people: the shape of the network.
STRUCTURAL = {"id", "components_if_lost", "degree", "comparable_teams", "comparable_teams_reached"}
FRACTIONS = {"severity", "district_overlap", "rate", "p_value"}


def test_the_rule() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert shown_rate(20, 25) == 0.8
    assert shown_rate(3, 25) is None  # the part is masked
    assert shown_rate(24, 25) is None  # what it leaves (one late) is masked
    # Beside a masked part the exact total would tell it (6 - 2): the total goes to tens.
    assert masked_figures({"due": 6, "on_time": 2, "rate": 0.33}) == {
        "due": "ca. 10",
        "on_time": "<5",
    }
    # So it does where what the parts leave is masked: 106 due, 78 + 27 met, 1 overdue.
    assert masked_figures({"due": 106, "met_on_time": 78, "met_late": 27, "overdue": 1}) == {
        "due": "ca. 110",
        "met_on_time": 78,
        "met_late": 27,
        "overdue": "<5",
    }
    assert masked_figures({"due": 20, "on_time": 10})["due"] == 20  # nothing to hide
    assert shown_total(17, [14, 3]) == "ca. 20"  # a partner's 17 signals: 14 here, 3 there
    assert "p_value" not in masked_figures({"now": 1, "before": 12, "p_value": 0.0001})


def walk(value: Any, where: str, found: list[str]) -> None:
    """Every figure that tells what it must not, with where it stands."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, bool) or key in STRUCTURAL:
                continue
            if isinstance(item, int) and 1 <= item <= 4:
                found.append(f"{where}.{key}={item}")
            elif isinstance(item, float) and key not in FRACTIONS:
                found.append(f"{where}.{key}={item} (a fraction of what?)")
            elif key == "rate" and "<5" in (value.get("due"), value.get("on_time")):
                found.append(f"{where}.rate beside a masked count")
            elif key == "p_value" and "<5" in (value.get("now"), value.get("before")):
                found.append(f"{where}.p_value beside a masked count")
            else:
                walk(item, f"{where}.{key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            walk(item, f"{where}[{index}]", found)


async def test_no_manager_output_tells_a_small_count(client: Client, haarlem: asyncpg.Pool) -> None:
    for step, days in (("received", 0), ("first_contact", 1), ("outcome", 20)):
        await add_agreement(haarlem, step=step, working_days=days)
    await network_of(haarlem)  # flows of 1 to 12 signals, a shared household, a dried-up flow
    # Two partners who share one household but hardly a district: a weak tie.
    buddy, _ = await make_partner(haarlem, PartnerKind.OTHER, name="Maatjes")
    youth, _ = await make_partner(haarlem, PartnerKind.YOUTH, name="CJG")
    for postcode, number in (("2031AA", 20), ("2011AA", 21), ("2025AB", 22)):
        await send(haarlem, buddy, postcode, number, days_ago=4, kind="other")
    for postcode, number in (("2031AA", 20), ("2034JE", 1), ("2015GB", 7)):
        await send(haarlem, youth, postcode, number, days_ago=4, kind="youth_concern")
    manager, token = await make_user(haarlem, "manager", password=PASSWORD)

    found: list[str] = []
    compliance = await (await client.get("/api/v1/metrics/feedback", headers=bearer(token))).json()
    assert compliance["rows"]
    walk(compliance, "metrics/feedback", found)
    network = await (await client.get("/api/v1/network", headers=bearer(token))).json()
    assert "weak_tie" in {link["kind"] for link in network["weak_links"]}
    walk(network, "network", found)
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        text = await (
            await client.get(f"/api/v1/network?format={fmt}", headers=bearer(token))
        ).text()
        graph = reader(io.BytesIO(text.encode()))
        for a, b, data in graph.edges(data=True):
            figures = {key: int(v) if str(v).isdigit() else v for key, v in data.items()}
            walk(figures, f"{fmt}:{a}-{b}", found)
    assert found == []

    session = await signed_in(haarlem, manager.email, PASSWORD)
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    report = await (await client.get("/beheer/terugkoppeling")).text()
    assert "&lt;5" in report  # small counts were there, and are masked
    assert not re.findall(r"<td>[1-4]</td>", report)
    assert not re.findall(r"<title>[^<]*: [1-4] ", report)
    drawing = await (await client.get("/beheer/netwerk")).text()
    assert not re.findall(r"\b[1-4] (signalen|gedeelde huishoudens)", drawing)
    assert not re.findall(r"(van|naar|ervoor) [1-4]\b", drawing)
    assert not re.findall(r">[1-4]</td>", drawing)  # the table of every link
    assert not re.findall(r"\([^()]*, [1-4] signalen", drawing)  # the list of who is who
    for table in ("knooppunten", "verbindingen", "zwakke-schakels"):
        download = await (await client.get(f"/beheer/netwerk?download={table}")).text()
        assert not re.findall(r";[1-4](;|\r\n)", download), table
