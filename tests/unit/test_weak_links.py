from __future__ import annotations

import random

import networkx as nx
import pytest

from graphs.network import CoSignal, Flow, NetworkFacts, PartnerNode, TeamNode
from graphs.weak_links import (
    Thresholds,
    WeakLinkKind,
    analyse,
    poisson_cdf,
    single_points_of_failure,
)
from schemas.signals import PartnerKind
from tests.support import weak_links_oracle as oracle


def test_karate_club_bridge_and_articulation_point() -> None:
    # networkx documents one bridge in Zachary's karate club, (0, 11), and node 0 as the
    # articulation point that cuts member 11 off.
    karate = nx.relabel_nodes(nx.karate_club_graph(), lambda n: f"partner:{n}")
    nx.set_edge_attributes(karate, "flow", "relation")
    nx.set_edge_attributes(karate, 1, "count")
    found = single_points_of_failure(karate)
    bridges = [set(link.nodes) for link in found if link.kind is WeakLinkKind.BRIDGE]
    points = [link.nodes for link in found if link.kind is WeakLinkKind.ARTICULATION_POINT]
    assert bridges == [{"partner:0", "partner:11"}]
    assert points == [("partner:0",)]


@pytest.mark.parametrize("seed", range(20))
def test_single_points_of_failure_agree_with_networkx(seed: int) -> None:
    """The rustworkx search finds what networkx's own functions find, on sparse random
    partner-team networks (with cycles, trees and isolated parts)."""
    rng = random.Random(seed)  # noqa: S311 - test data
    teams = [f"team:T{i}" for i in range(rng.randint(2, 12))]
    partners = [f"partner:P{i}" for i in range(rng.randint(3, 40))]
    graph = nx.Graph()
    for partner in partners:
        for team in rng.sample(teams, min(len(teams), rng.choice([1, 1, 1, 2, 3]))):
            graph.add_edge(partner, team, relation="flow", count=rng.randint(1, 9))
    for _ in range(5):  # co-signal ties are not flows: they must not hold the network together
        a, b = rng.sample(partners, 2)
        graph.add_edge(a, b, relation="cosignal", households=1)
    flows = nx.Graph([(a, b) for a, b, d in graph.edges(data=True) if d["relation"] == "flow"])

    found = single_points_of_failure(graph)

    bridges = {frozenset(link.nodes) for link in found if link.kind is WeakLinkKind.BRIDGE}
    assert bridges == {frozenset(edge) for edge in nx.bridges(flows)}
    points = {link.nodes[0]: link for link in found if link.kind is WeakLinkKind.ARTICULATION_POINT}
    assert set(points) == set(nx.articulation_points(flows))
    for node, link in points.items():
        blocks = sum(1 for block in nx.biconnected_components(flows) if node in block)
        assert link.evidence["components_if_lost"] == blocks


@pytest.mark.parametrize(
    ("k", "mean", "expected"),
    [(0, 10.0, 4.54e-05), (2, 10.0, 0.002769), (10, 10.0, 0.583040), (3, 0.0, 1.0)],
)
def test_poisson_cdf(k: int, mean: float, expected: float) -> None:
    assert poisson_cdf(k, mean) == pytest.approx(expected, rel=1e-3)


GP = PartnerNode("gp1", "Huisarts A", PartnerKind.GP)
GP2 = PartnerNode("gp2", "Huisarts B", PartnerKind.GP)
HOUSING = PartnerNode("h1", "Corporatie", PartnerKind.HOUSING)
POLICE = PartnerNode("p1", "Politie", PartnerKind.POLICE)
TEAMS = [TeamNode(code, code, "Haarlem") for code in ("A", "B", "C", "D")]


def kinds(facts: NetworkFacts) -> dict[WeakLinkKind, list[tuple[str, ...]]]:
    found: dict[WeakLinkKind, list[tuple[str, ...]]] = {}
    for link in analyse(facts).weak_links:
        found.setdefault(link.kind, []).append(link.nodes)
    return found


def test_a_district_reached_through_one_partner_only() -> None:
    facts = NetworkFacts(
        partners=[GP, GP2],
        teams=TEAMS[:3],
        flows=[
            Flow("gp1", "A", 10, agreement=True),
            Flow("gp2", "A", 8, agreement=True),
            Flow("gp1", "B", 9, agreement=True),
            Flow("gp2", "B", 7, agreement=True),
            Flow("gp2", "C", 4, agreement=True),
        ],
    )
    found = kinds(facts)
    assert found[WeakLinkKind.BRIDGE] == [("partner:gp2", "team:C")]
    assert found[WeakLinkKind.ARTICULATION_POINT] == [("partner:gp2",)]
    severe = analyse(facts).weak_links[0]
    assert severe.kind is WeakLinkKind.BRIDGE
    assert severe.evidence["lonely_node"] == "team:C"


@pytest.mark.parametrize(
    ("now", "before", "flagged"),
    [(0, 12, True), (2, 15, True), (6, 12, False), (0, 3, False), (12, 12, False)],
)
def test_dried_up_flows_are_judged_against_noise(now: int, before: int, flagged: bool) -> None:
    facts = NetworkFacts(
        partners=[GP],
        teams=TEAMS[:1],
        flows=[Flow("gp1", "A", now, previous=before, agreement=True)],
    )
    assert (WeakLinkKind.DRIED_UP_FLOW in kinds(facts)) is flagged


def test_agreements_kept_poorly_and_missing() -> None:
    facts = NetworkFacts(
        partners=[GP, HOUSING],
        teams=TEAMS[:1],
        flows=[
            Flow("gp1", "A", 20, agreement=True, due=10, on_time=4),
            Flow("h1", "A", 6, agreement=False),
        ],
    )
    found = kinds(facts)
    assert found[WeakLinkKind.AGREEMENT_KEPT_POORLY] == [("partner:gp1", "team:A")]
    assert found[WeakLinkKind.NO_AGREEMENT] == [("partner:h1", "team:A")]
    kept = NetworkFacts(
        partners=[GP],
        teams=TEAMS[:1],
        flows=[Flow("gp1", "A", 20, agreement=True, due=10, on_time=9)],
    )
    assert WeakLinkKind.AGREEMENT_KEPT_POORLY not in kinds(kept)


def test_coverage_gap_where_comparable_districts_are_reached() -> None:
    flows = [Flow("gp1", code, 5, agreement=True) for code in ("A", "B", "C")]
    flows += [Flow("h1", code, 5, agreement=True) for code in ("A", "B", "C", "D")]
    facts = NetworkFacts(partners=[GP, HOUSING], teams=TEAMS, flows=flows)
    gaps = [link for link in analyse(facts).weak_links if link.kind is WeakLinkKind.COVERAGE_GAP]
    assert [(link.nodes, link.evidence["partner_kind"]) for link in gaps] == [(("team:D",), "gp")]


def test_weak_ties_share_households_but_not_districts() -> None:
    flows = [
        Flow("gp1", "A", 5, agreement=True),
        Flow("gp1", "B", 5, agreement=True),
        Flow("gp1", "C", 5, agreement=True),
        Flow("p1", "C", 5, agreement=True),
        Flow("p1", "D", 5, agreement=True),
        Flow("h1", "A", 5, agreement=True),
        Flow("h1", "B", 5, agreement=True),
    ]
    facts = NetworkFacts(
        partners=[GP, POLICE, HOUSING],
        teams=TEAMS,
        flows=flows,
        cosignals=[CoSignal("gp1", "p1", 3), CoSignal("gp1", "h1", 4)],
    )
    ties = [
        link
        for link in analyse(facts, Thresholds(weak_tie_overlap=0.3)).weak_links
        if link.kind is WeakLinkKind.WEAK_TIE
    ]
    assert [link.nodes for link in ties] == [("partner:gp1", "partner:p1")]
    assert ties[0].evidence["district_overlap"] == 0.25


def test_no_personal_data_can_enter_the_graph() -> None:
    facts = NetworkFacts(partners=[GP], teams=TEAMS[:1], flows=[Flow("gp1", "A", 3)])
    graph = analyse(facts).graph
    allowed = {
        "role",
        "label",
        "kind",
        "municipality",
        "relation",
        "count",
        "previous",
        "agreement",
        "due",
        "on_time",
        "households",
    }
    keys = {k for _, data in graph.nodes(data=True) for k in data}
    keys |= {k for *_, data in graph.edges(data=True) for k in data}
    assert keys <= allowed


def random_facts(rng: random.Random) -> NetworkFacts:
    """A small network with everything the facts may hold: repeated flows and ties (either way
    round), flows without signals, names the lists lack, ties of a partner with itself."""
    teams = [TeamNode(f"T{i}", f"Team {i}", f"GM{i % 3}") for i in range(rng.randint(1, 10))]
    partners = [
        PartnerNode(f"P{i}", f"Partner {i}", rng.choice(list(PartnerKind)))
        for i in range(rng.randint(1, 30))
    ]
    ids = [p.id for p in partners] + ["stranger"]
    codes = [t.code for t in teams] + ["X"]
    flows = []
    for _ in range(rng.randint(0, 80)):
        count = rng.choice([0, 0, 1, 2, 4, 7, 12, 30])
        due = rng.choice([0, 3, 5, 9, 20])
        flows.append(
            Flow(
                rng.choice(ids),
                rng.choice(codes),
                count,
                previous=rng.choice([0, count, count * 3 + 5, 40]),
                agreement=rng.random() < 0.7,
                due=due,
                on_time=rng.randint(0, due),
            )
        )
    ties = [
        CoSignal(rng.choice(ids), rng.choice(ids), rng.choice([0, 1, 3]))
        for _ in range(rng.randint(0, 25))
    ]
    return NetworkFacts(partners=partners, teams=teams, flows=flows, cosignals=ties)


@pytest.mark.parametrize("seed", range(200))
def test_the_array_analysis_finds_what_the_graph_analysis_found(seed: int) -> None:
    """The analysis on arrays finds the same weak links, with the same figures and in the same
    order, as the object-by-object analysis on a networkx graph it replaced."""
    facts = random_facts(random.Random(seed))  # noqa: S311 - test data
    thresholds = Thresholds(weak_tie_overlap=0.4, coverage_share=0.3)
    assert analyse(facts, thresholds).weak_links == oracle.analyse(facts, thresholds)


def test_the_graph_is_built_only_when_asked_for() -> None:
    facts = NetworkFacts(partners=[GP], teams=TEAMS[:1], flows=[Flow("gp1", "A", 3)])
    analysis = analyse(facts)
    assert "graph" not in vars(analysis)
    assert sorted(analysis.graph.edges) == [("partner:gp1", "team:A")]
