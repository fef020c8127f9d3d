"""Derive the shipped demo routing table from the postcode data and the demo team division.

A maintainer's tool, run by hand when the source data changes; nothing runs it at run or test time:

    python -m hub.demo.derive_routing > hub/demo/data/routing_demo.csv

One rule per PC4 to the team that serves most of its PC6 codes, plus a PC6 rule for each PC6
served by another team, plus the PC4 rules of teams whose area has no PC6 data (Zandvoort).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

from hub.routing.rules import rules_to_csv
from schemas.routing import RoutingRule

DATA = Path(__file__).parent / "data"


def team_by_area(teams_csv: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(wijk -> team, buurt -> team, PC4 without PC6 data -> team) from teams_demo.csv."""
    by_wijk: dict[str, str] = {}
    by_buurt: dict[str, str] = {}
    by_pc4: dict[str, str] = {}
    with teams_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for field, target in (
                ("serves_2013_wijk_codes", by_wijk),
                ("serves_2013_buurt_codes", by_buurt),
                ("pc4_without_pc6_data", by_pc4),
            ):
                for code in filter(None, row[field].split("|")):
                    target[code] = row["team_code"]
    return by_wijk, by_buurt, by_pc4


def expected_team_by_pc6(pc6_csv: Path, teams_csv: Path) -> dict[str, str]:
    """The team of each PC6 in the data: by its buurt where a team names buurten, else wijk."""
    by_wijk, by_buurt, _ = team_by_area(teams_csv)
    expected: dict[str, str] = {}
    with pc6_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            team = by_buurt.get(row["buurt_code_2013"]) or by_wijk[row["wijk_code_2013"]]
            expected[row["pc6"]] = team
    return expected


def derive_rules(pc6_csv: Path, teams_csv: Path) -> list[RoutingRule]:
    expected = expected_team_by_pc6(pc6_csv, teams_csv)
    per_pc4: dict[str, Counter[str]] = defaultdict(Counter)
    for pc6, team in expected.items():
        per_pc4[pc6[:4]][team] += 1
    rules: list[RoutingRule] = []
    for pc4 in sorted(per_pc4):
        dominant = per_pc4[pc4].most_common(1)[0][0]
        rules.append(RoutingRule(postcode=pc4, team_code=dominant))
        rules.extend(
            RoutingRule(postcode=pc6, team_code=team)
            for pc6, team in sorted(expected.items())
            if pc6[:4] == pc4 and team != dominant
        )
    _, _, by_pc4 = team_by_area(teams_csv)
    rules.extend(RoutingRule(postcode=pc4, team_code=team) for pc4, team in sorted(by_pc4.items()))
    return rules


if __name__ == "__main__":
    sys.stdout.write(
        rules_to_csv(derive_rules(DATA / "haarlem_pc6_buurt_2013.csv", DATA / "teams_demo.csv"))
    )
