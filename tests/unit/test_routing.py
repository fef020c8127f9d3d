from __future__ import annotations

from datetime import date

import pytest

from hub.routing.rules import CSV_HEADER, choose_rule, parse_rules_csv, rules_to_csv
from schemas.routing import Parity, RoutingRule

HEADER = ",".join(CSV_HEADER)
DAY = date(2026, 6, 1)


def rule(postcode: str, team: str, **extra: object) -> RoutingRule:
    return RoutingRule.model_validate({"postcode": postcode, "team_code": team, **extra})


TABLE = [
    rule("2034", "PC4"),
    rule("2034", "PC4-EVEN-1-99", house_number_from=1, house_number_to=99, parity="even"),
    rule("2034AB", "PC6"),
    rule("2034AB", "PC6-100-199", house_number_from=100, house_number_to=199),
    rule("2034AB", "PC6-ODD-1-9", house_number_from=1, house_number_to=9, parity="odd"),
    rule("2035", "OLD", valid_to=date(2026, 5, 31)),
    rule("2035", "NEW", valid_from=date(2026, 6, 1)),
]


@pytest.mark.parametrize(
    ("postcode", "number", "team"),
    [
        ("2034AB", 3, "PC6-ODD-1-9"),  # PC6 with numbers beats everything
        ("2034AB", 4, "PC6"),  # even: the odd range does not cover it; PC6 beats PC4 + numbers
        ("2034AB", 150, "PC6-100-199"),
        ("2034AB", 200, "PC6"),
        ("2034CD", 4, "PC4-EVEN-1-99"),  # PC4 with numbers beats PC4
        ("2034CD", 5, "PC4"),
        ("2034CD", 100, "PC4"),
        ("2035AA", 1, "NEW"),
        ("2036AA", 1, None),  # no rule: the coordinator queue
    ],
)
def test_most_specific_rule_wins(postcode: str, number: int, team: str | None) -> None:
    chosen = choose_rule(TABLE, postcode, number, DAY)
    assert (chosen.team_code if chosen else None) == team


@pytest.mark.parametrize(
    ("day", "team"),
    [(date(2026, 5, 31), "OLD"), (date(2026, 6, 1), "NEW"), (date(2030, 1, 1), "NEW")],
)
def test_validity_dates_are_inclusive(day: date, team: str) -> None:
    chosen = choose_rule(TABLE, "2035AA", 1, day)
    assert chosen is not None
    assert chosen.team_code == team


def test_expired_specific_rule_falls_back_to_general() -> None:
    table = [rule("2036", "GENERAL"), rule("2036AA", "SPECIFIC", valid_to=date(2026, 1, 1))]
    chosen = choose_rule(table, "2036AA", 1, DAY)
    assert chosen is not None
    assert chosen.team_code == "GENERAL"


def csv_of(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def test_import_reports_each_refused_line_with_its_number() -> None:
    report = parse_rules_csv(
        csv_of(
            "2034,,,,A,,",
            "2034AB,1,10,even,A,,",
            "2034AB,2,4,,B,,",  # overlaps line 3 (2 and 4 are even and in 1-10)
            "0123,,,,A,,",
            "2035,,,,NOPE,,",
            "2035,,,,A,2026-02-01,2026-01-01",
            "2035AB,10,5,,A,,",
            "2035AC,,,sometimes,A,,",
            "2035AD,1,,,A,,,",
            "2035AE,2,2,odd,A,,",
            "2035AF,,,,A,01-02-2026,",
        ),
        known_teams={"A", "B"},
    )
    assert [line for line, _ in report.accepted] == [2, 3]
    refused = dict(report.refused)
    assert sorted(refused) == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "overlaps line 3" in refused[4]
    assert "postcode" in refused[5]
    assert "unknown team NOPE" in refused[6]
    assert "valid_from is after valid_to" in refused[7]
    assert "house_number_from is greater" in refused[8]
    assert "parity" in refused[9]
    assert "expected 7 columns" in refused[10]
    assert "not odd" in refused[11]
    assert "valid_from" in refused[12]


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("2034AB,1,10,even,A,,", "2034AB,1,10,odd,A,,", False),
        ("2034AB,1,10,,A,,", "2034AB,11,20,,A,,", False),
        ("2034AB,1,10,,A,,", "2034AB,10,20,,A,,", True),
        ("2034,,,,A,,2026-01-31", "2034,,,,B,2026-02-01,", False),
        ("2034,,,,A,,2026-02-01", "2034,,,,B,2026-02-01,", True),
        ("2034,,,,A,,", "2034AB,,,,B,,", False),  # different specificity: PC6 simply wins
        ("2034,,,,A,,", "2034,1,9,,B,,", False),
        ("2034,1,9,,A,,", "2034,,,even,B,,", True),  # both PC4 with numbers; 2..8 overlap
    ],
)
def test_equally_specific_overlaps_refused(first: str, second: str, overlap: bool) -> None:
    report = parse_rules_csv(csv_of(first, second), known_teams={"A", "B"})
    assert bool(report.refused) is overlap


def test_header_must_match() -> None:
    report = parse_rules_csv("pc,team\n2034,A\n", known_teams={"A"})
    assert report.accepted == []
    assert report.refused[0][0] == 1


def test_byte_order_mark_blank_lines_and_spaces_are_tolerated() -> None:
    report = parse_rules_csv("\ufeff" + csv_of(" 2034 AB , 1 , 9 , odd , A , , ", ""), {"A"})
    assert report.refused == []
    assert report.rules[0].postcode == "2034AB"
    assert report.rules[0].parity is Parity.ODD


def test_written_table_reads_back_the_same() -> None:
    text = rules_to_csv(TABLE)
    report = parse_rules_csv(text, {r.team_code for r in TABLE})
    assert report.refused == []
    assert report.rules == TABLE
