"""The shipped demo table routes every real Haarlem PC6 to the team of its buurt or wijk."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from hub.demo.data import shipped_data
from hub.routing.rules import choose_rule, parse_rules_csv
from schemas.routing import RoutingRule

TODAY = date(2026, 11, 22)


def data(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(shipped_data(name).splitlines()))


@pytest.fixture(scope="module")
def table() -> list[RoutingRule]:
    teams = {row["team_code"] for row in data("teams_demo.csv")}
    report = parse_rules_csv(shipped_data("routing_demo.csv"), teams)
    assert report.refused == []
    return report.rules


def expected_teams() -> dict[str, str]:
    """PC6 -> team, from the team division: a team names buurten (Schalkwijk) or wijken."""
    wijk_team: dict[str, str] = {}
    buurt_team: dict[str, str] = {}
    for team in data("teams_demo.csv"):
        for wijk in filter(None, team["serves_2013_wijk_codes"].split("|")):
            wijk_team[wijk] = team["team_code"]
        for buurt in filter(None, team["serves_2013_buurt_codes"].split("|")):
            buurt_team[buurt] = team["team_code"]
    return {
        row["pc6"]: buurt_team.get(
            row["buurt_code_2013"], wijk_team.get(row["wijk_code_2013"], "?")
        )
        for row in data("haarlem_pc6_buurt_2013.csv")
    }


def test_every_haarlem_pc6_reaches_its_team(table: list[RoutingRule]) -> None:
    expected = expected_teams()
    assert len(expected) == 4687
    wrong = {}
    for pc6, team in expected.items():
        number = 1
        chosen = choose_rule(table, pc6, number, TODAY)
        if chosen is None or chosen.team_code != team:
            wrong[pc6] = (team, chosen.team_code if chosen else None)
    assert wrong == {}


def test_schalkwijk_is_split_by_buurt(table: list[RoutingRule]) -> None:
    # 2034 is mostly Europawijk (Noord) but Molenwijk's 2034J* belong to Schalkwijk-Zuid.
    north = choose_rule(table, "2034AA", 1, TODAY)
    south = choose_rule(table, "2034JE", 1, TODAY)
    assert north is not None
    assert north.team_code == "SWT-HLM-SCHALKWIJK-NOORD"
    assert south is not None
    assert south.team_code == "SWT-HLM-SCHALKWIJK-ZUID"


@pytest.mark.parametrize(
    ("postcode", "team"),
    [
        ("2041AB", "SWT-ZVT"),
        ("2042XY", "SWT-ZVT"),
        ("2116AB", None),  # Bentveld: shared with Bloemendaal, so no PC4 rule
        ("2040AA", None),  # PO boxes
        ("1011AB", None),  # Amsterdam
    ],
)
def test_outside_haarlem(table: list[RoutingRule], postcode: str, team: str | None) -> None:
    chosen = choose_rule(table, postcode, 1, TODAY)
    assert (chosen.team_code if chosen else None) == team
