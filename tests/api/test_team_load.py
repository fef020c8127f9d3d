"""Team load for managers: `GET /api/v1/metrics/teams` and the page `/beheer/teams` with its CSV
download; nobody else reads them."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.directory.accounts import create_user
from hub.directory.service import set_team_capacity
from schemas.metrics import TeamLoadReport
from schemas.signals import PartnerKind
from tests.support.factories import make_admin_token, make_partner, make_user
from tests.support.http import bearer, log_in, problem
from tests.support.network import send

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"
OOST = "SWT-HLM-OOST"


async def busy_oost(pool: asyncpg.Pool) -> None:
    """Six open cases in Oost, which can carry five; two in Centrum."""
    gp, _ = await make_partner(pool, PartnerKind.GP, name="Huisarts Belasting")
    await set_team_capacity(pool, OOST, 5)
    for number in range(1, 7):
        await send(pool, gp, "2031AA", number, days_ago=number)
    for number in range(1, 3):
        await send(pool, gp, "2011AA", number, days_ago=2)


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("partner", 403), ("member", 403), ("lead", 403), ("coordinator", 403)],
)
async def test_only_managers_read_the_figures(
    client: Client, haarlem: asyncpg.Pool, role: str, status: int
) -> None:
    if role == "anonymous":
        headers = {}
    elif role == "partner":
        headers = bearer((await make_partner(haarlem))[1])
    else:
        headers = bearer(
            (await make_user(haarlem, role, OOST if role != "coordinator" else None))[1]
        )
    await problem(await client.get("/api/v1/metrics/teams", headers=headers), status)


async def test_a_manager_gets_every_team_busiest_first(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await busy_oost(haarlem)
    _, token = await make_user(haarlem, "manager")
    response = await client.get("/api/v1/metrics/teams", headers=bearer(token))
    assert response.status == 200, await response.text()
    body = await response.json()
    report = TeamLoadReport.model_validate(body)
    assert len(report.teams) == 9
    oost = report.teams[0]
    assert (oost.code, oost.open_cases, oost.capacity, oost.load) == (OOST, 6, 5, 1.2)
    assert oost.over_capacity is True
    assert len(oost.new_cases_per_week) == report.weeks == 8
    assert body["teams"][0]["unassigned_open_cases"] == 6
    centrum = next(team for team in body["teams"] if team["code"] == "SWT-HLM-CENTRUM")
    assert centrum["open_cases"] == "<5"
    assert centrum["load"] is None
    assert "<5" in [week["new_cases"] for week in centrum["new_cases_per_week"]]

    # The administrator's machine token reads figures too; one municipality by name.
    machine = bearer(await make_admin_token(haarlem))
    zandvoort = await client.get(
        "/api/v1/metrics/teams", params={"municipality": "Zandvoort"}, headers=machine
    )
    assert [team["code"] for team in (await zandvoort.json())["teams"]] == ["SWT-ZVT"]
    bad = await client.get("/api/v1/metrics/teams?municipality=%1B%5B2J", headers=machine)
    assert (await problem(bad, 422))["errors"][0]["loc"] == ["municipality"]


async def test_the_answer_is_described_in_the_openapi_document(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    answer = document["paths"]["/api/v1/metrics/teams"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/TeamLoadReport"}
    assert "TeamLoad" in document["components"]["schemas"]


async def signed_in_as(client: Client, pool: asyncpg.Pool, role: str) -> None:
    if role == "partner":
        partner, _ = await make_partner(pool)
        user = await create_user(pool, "p@example.invalid", PASSWORD, "partner", partner)
    else:
        user, _ = await make_user(
            pool, role, OOST if role in ("member", "lead") else None, password=PASSWORD
        )
    await log_in(client, user.email, PASSWORD)


async def test_the_page_puts_the_busy_team_first_in_words(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await busy_oost(haarlem)
    await signed_in_as(client, haarlem, "manager")
    response = await client.get("/beheer/teams")
    assert response.status == 200
    page = await response.text()
    assert '<a href="/beheer/teams">Teambelasting</a>' in page  # in the menu
    assert "<h1>Teambelasting</h1>" in page
    rows = re.findall(r'<th scope="row" data-label="Team">(.*?)</th>', page, re.S)
    assert len(rows) == 9
    assert rows[0].startswith("Sociaal Wijkteam Oost")
    assert "Boven capaciteit" in rows[0]  # in words, not only in colour
    assert not any("Boven capaciteit" in row for row in rows[1:])
    assert "120%" in page
    assert "Een beheerder van de signaalhub stelt die in" in page  # not a command a manager runs
    assert not re.findall(r"<td[^>]*>[1-4]</td>", page)  # the two of Centrum are "<5"
    assert "Download als CSV (Excel)" in page

    zandvoort = await (await client.get("/beheer/teams?municipality=Zandvoort")).text()
    assert "Sociaal Wijkteam Zandvoort" in zandvoort
    assert "Sociaal Wijkteam Oost" not in zandvoort
    assert (await client.get("/beheer/teams?municipality=Nergens")).status == 404


async def test_the_table_downloads_as_csv_for_dutch_excel(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await busy_oost(haarlem)
    await signed_in_as(client, haarlem, "admin")
    response = await client.get("/beheer/teams?download=teams")
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert 'filename="teambelasting.csv"' in response.headers["Content-Disposition"]
    data = await response.read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, oost = rows[0], rows[1]
    assert header[:6] == [
        "Team",
        "Gemeente",
        "Open zaken",
        "Capaciteit",
        "Belasting %",
        "Boven capaciteit",
    ]
    assert len([name for name in header if name.startswith("Nieuw in week")]) == 8
    assert header[-1] == "Zonder regisseur"
    assert len(rows) == 10
    assert all(len(row) == len(header) for row in rows)
    assert oost[:6] == ["Sociaal Wijkteam Oost", "Haarlem", "6", "5", "120", "ja"]
    centrum = next(row for row in rows if row[0] == "Sociaal Wijkteam Centrum")
    assert centrum[2] == "<5"
    assert not [cell for row in rows[1:] for cell in row if cell in ("1", "2", "3", "4")]
    assert (await client.get("/beheer/teams?download=anders")).status == 404


@pytest.mark.parametrize("role", ["partner", "member", "coordinator"])
async def test_the_page_is_not_for_others(client: Client, haarlem: asyncpg.Pool, role: str) -> None:
    await signed_in_as(client, haarlem, role)
    assert (await client.get("/beheer/teams")).status == 404
    assert (await client.get("/beheer/teams?download=teams")).status == 404
