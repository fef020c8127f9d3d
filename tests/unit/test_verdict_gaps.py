"""Partners' verdict beside the measurement: a gap of 20 points or more, on at least five ratings
and five deadlines, is a weak link, pointing at communication or at measurement."""

from __future__ import annotations

import pytest

from graphs.network import NetworkFacts, TeamNode, Verdict
from graphs.weak_links import Direction, Thresholds, WeakLinkKind, analyse, verdict_gap
from schemas.signals import PartnerKind


@pytest.mark.parametrize(
    ("answers", "agreeing", "due", "on_time", "found"),
    [
        (10, 5, 20, 20, Direction.LOWER),  # 50% rated, 100% delivered: communication
        (10, 10, 20, 4, Direction.HIGHER),  # 100% rated, 20% delivered: measurement
        (10, 8, 10, 10, Direction.LOWER),  # exactly 20 points counts
        (10, 9, 10, 10, None),  # 10 points: no finding
        (10, 5, 10, 6, None),  # within 20 points either way
        (4, 0, 20, 20, None),  # too few ratings to judge
        (10, 0, 4, 4, None),  # too few deadlines to judge
        (5, 5, 5, 0, Direction.HIGHER),  # the least that is judged
    ],
)
def test_a_gap_of_the_threshold_either_way_is_found(
    answers: int, agreeing: int, due: int, on_time: int, found: Direction | None
) -> None:
    verdict = Verdict("T", None, answers, agreeing, due, on_time)
    assert verdict_gap(verdict, Thresholds()) is found


def test_the_threshold_is_a_setting() -> None:
    verdict = Verdict("T", None, 10, 9, 10, 10)  # 10 points
    assert verdict_gap(verdict, Thresholds(verdict_gap=0.1)) is Direction.LOWER
    assert verdict_gap(verdict, Thresholds(verdict_min_answers=11, verdict_gap=0.1)) is None


def test_verdict_gaps_are_weak_links_with_their_evidence() -> None:
    facts = NetworkFacts(
        teams=[TeamNode("A", "Team A", "Haarlem"), TeamNode("B", "Team B", "Haarlem")],
        verdicts=[
            Verdict("A", None, 10, 10, 20, 2, "2026-03-31"),  # rated higher
            Verdict("B", None, 12, 6, 15, 15, "2026-03-31"),  # rated lower
            Verdict(None, PartnerKind.HOUSING, 16, 0, 30, 30, "2026-03-31"),  # a kind, lower
            Verdict(None, PartnerKind.GP, 16, 15, 30, 29, "2026-03-31"),  # no gap
        ],
    )
    links = [link for link in analyse(facts).weak_links if link.kind is WeakLinkKind.VERDICT_GAP]
    by_nodes = {link.nodes: link for link in links}
    assert set(by_nodes) == {("team:A",), ("team:B",), ()}
    higher, lower, kind = by_nodes[("team:A",)], by_nodes[("team:B",)], by_nodes[()]
    assert higher.evidence["direction"] == "higher"
    assert "records" in higher.action  # measurement
    assert lower.evidence["direction"] == "lower"
    assert "reaches" in lower.action  # communication
    assert kind.evidence["partner_kind"] == "housing"
    assert kind.evidence == {
        "direction": "lower",
        "partner_kind": "housing",
        "answers": 16,
        "agreeing": 0,
        "due": 30,
        "on_time": 30,
        "survey_closed": "2026-03-31",
    }
    # The bigger the gap, the more severe: housing's 100 points, Team A's 90, Team B's 50.
    assert kind.severity == 1.0
    assert higher.severity > lower.severity


def test_no_verdicts_no_verdict_gaps() -> None:
    facts = NetworkFacts(teams=[TeamNode("A", "Team A", "Haarlem")])
    assert not [link for link in analyse(facts).weak_links if link.kind is WeakLinkKind.VERDICT_GAP]
