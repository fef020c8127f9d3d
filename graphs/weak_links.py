"""Weak links of the partner network, each with its evidence in numbers. Pure.

- single points of failure: bridges and articulation points of the flow network (a district
  reached through one partner only);
- flows that dried up: a partner-team flow far below its own previous period, judged against
  Poisson noise of small counts rather than a bare percentage;
- agreements kept poorly, and partners that signal a team without any agreement;
- coverage gaps: a district no partner of a kind signalled while comparable districts (same
  municipality) did;
- weak ties (Granovetter): partners that share households but hardly share districts;
- verdict gaps: partners rate "agreements are kept" (in the partner survey) far lower or higher
  than the share of feedback deadlines the hub measured as met on time in the same period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

import networkx as nx
import rustworkx as rx

from graphs.network import NetworkFacts, Verdict, build_graph, partner_node, team_node
from schemas.signals import PartnerKind


class WeakLinkKind(StrEnum):
    BRIDGE = "bridge"
    ARTICULATION_POINT = "articulation_point"
    DRIED_UP_FLOW = "dried_up_flow"
    AGREEMENT_KEPT_POORLY = "agreement_kept_poorly"
    NO_AGREEMENT = "no_agreement"
    COVERAGE_GAP = "coverage_gap"
    WEAK_TIE = "weak_tie"
    VERDICT_GAP = "verdict_gap"


@dataclass(frozen=True)
class WeakLink:
    kind: WeakLinkKind
    nodes: tuple[str, ...]
    evidence: dict[str, float | int | str]
    severity: float  # 0 (mild) .. 1 (severe)
    action: str


@dataclass(frozen=True)
class Thresholds:
    dried_up_p_value: float = 0.01
    dried_up_min_previous: int = 5
    compliance_floor: float = 0.7
    compliance_min_due: int = 5
    weak_tie_overlap: float = 0.25
    coverage_kinds: tuple[PartnerKind, ...] = (
        PartnerKind.GP,
        PartnerKind.HOUSING,
        PartnerKind.POLICE,
        PartnerKind.WORK_INCOME,
    )
    coverage_share: float = 0.5
    # Partners' verdict against the measurement: a gap of at least this share (20 percentage
    # points), judged only on enough ratings and enough deadlines to mean something.
    verdict_gap: float = 0.2
    verdict_min_answers: int = 5
    verdict_min_due: int = 5


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 1.0
    term = math.exp(-mean)
    total = term
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return min(total, 1.0)


def _flow_graph(graph: nx.Graph) -> rx.PyGraph:
    """The flow edges alone, as a rustworkx graph whose node payloads are the node names."""
    index: dict[str, int] = {}
    edges = []
    for a, neighbours in graph.adj.items():
        for b, data in neighbours.items():
            if a < b and data["relation"] == "flow":
                edges.append((index.setdefault(a, len(index)), index.setdefault(b, len(index))))
    flows = rx.PyGraph(multigraph=False)
    flows.add_nodes_from(list(index))
    flows.extend_from_edge_list(edges)
    return flows


def single_points_of_failure(graph: nx.Graph) -> list[WeakLink]:
    """Bridges and cut vertices of the flow network.

    The search runs in rustworkx: on a national network (50,000 partners, 500,000 edges) this
    step took 3.7 s of an 11.2 s report with one networkx search in Python, 1.6 - 2.2 s with
    rustworkx, conversion included (benchmarks/README.md). A cut vertex's loss splits its part of
    the network into as many pieces as there are blocks (biconnected components) around it.
    """
    flows = _flow_graph(graph)
    name = flows.nodes()
    found = []
    bridges = cast("set[tuple[int, int]]", rx.bridges(flows))  # its stub says tuple[int]
    for u, v in sorted(bridges, key=lambda edge: sorted((name[edge[0]], name[edge[1]]))):
        a, b = name[u], name[v]
        partner, team = (a, b) if a.startswith("partner:") else (b, a)
        partner_index, team_index = (u, v) if partner == a else (v, u)
        if flows.degree(team_index) == 1:
            lonely, severity, action = team, 0.9, "find a second partner that sees these households"
        elif flows.degree(partner_index) == 1:
            lonely, severity = partner, 0.5
            action = "this partner reaches no other team: check whether that is right"
        else:
            lonely, severity = "", 0.7
            action = "the only link between two parts of the network: add a second one"
        found.append(
            WeakLink(
                WeakLinkKind.BRIDGE,
                (partner, team),
                {"signals": graph.edges[a, b]["count"], "lonely_node": lonely},
                severity=severity,
                action=action,
            )
        )
    points = rx.articulation_points(flows)
    if points:
        block = rx.biconnected_components(flows)  # (u, v) -> its block
        for node in sorted(points, key=lambda index: name[index]):
            pieces = len(
                {
                    block[(node, other)] if (node, other) in block else block[(other, node)]
                    for other in flows.neighbors(node)
                }
            )
            found.append(
                WeakLink(
                    WeakLinkKind.ARTICULATION_POINT,
                    (name[node],),
                    {"components_if_lost": pieces, "degree": flows.degree(node)},
                    severity=min(1.0, 0.4 + 0.2 * pieces),
                    action="the network falls apart without this node: spread its links",
                )
            )
    return found


def dried_up_flows(facts: NetworkFacts, thresholds: Thresholds) -> list[WeakLink]:
    found = []
    for flow in facts.flows:
        if flow.previous < thresholds.dried_up_min_previous or flow.count >= flow.previous:
            continue
        p_value = poisson_cdf(flow.count, flow.previous)
        if p_value < thresholds.dried_up_p_value:
            found.append(
                WeakLink(
                    WeakLinkKind.DRIED_UP_FLOW,
                    (partner_node(flow.partner), team_node(flow.team)),
                    {"now": flow.count, "before": flow.previous, "p_value": round(p_value, 5)},
                    severity=min(1.0, 1 - flow.count / flow.previous),
                    action="ask the partner why it stopped signalling this team",
                )
            )
    return found


def agreement_gaps(facts: NetworkFacts, thresholds: Thresholds) -> list[WeakLink]:
    found = []
    floor, min_due = thresholds.compliance_floor, thresholds.compliance_min_due
    for flow in facts.flows:
        if flow.count > 0 and not flow.agreement:
            found.append(
                WeakLink(
                    WeakLinkKind.NO_AGREEMENT,
                    (partner_node(flow.partner), team_node(flow.team)),
                    {"signals": flow.count},
                    severity=min(1.0, 0.3 + flow.count / 50),
                    action="make a feedback agreement with this partner",
                )
            )
        elif flow.due >= min_due and (rate := flow.on_time / flow.due) < floor:
            found.append(
                WeakLink(
                    WeakLinkKind.AGREEMENT_KEPT_POORLY,
                    (partner_node(flow.partner), team_node(flow.team)),
                    {"due": flow.due, "on_time": flow.on_time, "rate": round(rate, 2)},
                    severity=round(1 - rate, 2),
                    action="the team keeps this agreement poorly: discuss capacity or terms",
                )
            )
    return found


def coverage_gaps(facts: NetworkFacts, thresholds: Thresholds) -> list[WeakLink]:
    kind_of = {partner.id: partner.kind for partner in facts.partners}
    reached: dict[PartnerKind, set[str]] = {kind: set() for kind in thresholds.coverage_kinds}
    for flow in facts.flows:
        kind = kind_of.get(flow.partner)
        if flow.count > 0 and kind in reached:
            reached[kind].add(flow.team)
    found = []
    for kind, teams in reached.items():
        for municipality in {team.municipality for team in facts.teams}:
            local = [team for team in facts.teams if team.municipality == municipality]
            covered = [team for team in local if team.code in teams]
            if len(local) < 2 or len(covered) / len(local) < thresholds.coverage_share:
                continue
            for team in local:
                if team.code not in teams:
                    found.append(
                        WeakLink(
                            WeakLinkKind.COVERAGE_GAP,
                            (team_node(team.code),),
                            {
                                "partner_kind": kind.value,
                                "comparable_teams_reached": len(covered),
                                "comparable_teams": len(local),
                            },
                            severity=0.6,
                            action=f"no {kind.value} partner signals this district: "
                            "introduce the team to one",
                        )
                    )
    return found


def weak_ties(graph: nx.Graph, thresholds: Thresholds) -> list[WeakLink]:
    adjacency = graph.adj
    teams: dict[str, set[str]] = {}

    def teams_of(node: str) -> set[str]:
        known = teams.get(node)
        if known is None:
            known = teams[node] = {
                other for other, data in adjacency[node].items() if data["relation"] == "flow"
            }
        return known

    found = []
    for a, neighbours in adjacency.items():
        for b, data in neighbours.items():
            if a > b or data["relation"] != "cosignal":
                continue
            ours, theirs = teams_of(a), teams_of(b)
            union = ours | theirs
            overlap = len(ours & theirs) / len(union) if union else 0.0
            if overlap < thresholds.weak_tie_overlap:
                found.append(
                    WeakLink(
                        WeakLinkKind.WEAK_TIE,
                        (a, b),
                        {
                            "shared_households": data["households"],
                            "district_overlap": round(overlap, 2),
                        },
                        severity=0.3,
                        action="these partners meet the same households in different "
                        "districts: introduce them",
                    )
                )
    return found


class Direction(StrEnum):
    """Which way partners' verdict differs from what was delivered."""

    LOWER = "lower"  # rated lower than delivered: the feedback does not come across
    HIGHER = "higher"  # rated higher than delivered: what the team does is not recorded


def verdict_gap(verdict: Verdict, thresholds: Thresholds) -> Direction | None:
    """Whether partners' rating of "agreements are kept" differs from the share met on time by
    at least the threshold, and which way; None where it does not, or on too few figures."""
    if verdict.answers < thresholds.verdict_min_answers or verdict.due < thresholds.verdict_min_due:
        return None
    gap = verdict.agreeing / verdict.answers - verdict.on_time / verdict.due
    # Compared in whole hundredths, so that a gap of exactly the threshold counts.
    if round(gap * 100) <= -round(thresholds.verdict_gap * 100):
        return Direction.LOWER
    if round(gap * 100) >= round(thresholds.verdict_gap * 100):
        return Direction.HIGHER
    return None


def verdict_gaps(facts: NetworkFacts, thresholds: Thresholds) -> list[WeakLink]:
    """A team (or a kind of partner) whose partners rate the keeping of feedback agreements far
    from what the hub measured: rated lower points at communication (the feedback is given but
    does not reach or convince the partner), rated higher at measurement (the team reports back
    in ways the hub does not record)."""
    found = []
    for verdict in facts.verdicts:
        direction = verdict_gap(verdict, thresholds)
        if direction is None:
            continue
        rated = verdict.agreeing / verdict.answers
        measured = verdict.on_time / verdict.due
        found.append(
            WeakLink(
                WeakLinkKind.VERDICT_GAP,
                (team_node(verdict.team),) if verdict.team else (),
                {
                    "direction": direction.value,
                    "partner_kind": verdict.partner_kind.value if verdict.partner_kind else "",
                    "answers": verdict.answers,
                    "agreeing": verdict.agreeing,
                    "due": verdict.due,
                    "on_time": verdict.on_time,
                    "survey_closed": verdict.survey_closed,
                },
                severity=round(min(1.0, 0.2 + abs(rated - measured)), 2),
                action=(
                    "partners rate the feedback lower than it was delivered: ask them how it "
                    "reaches them"
                    if direction is Direction.LOWER
                    else "partners rate the feedback higher than it was delivered: check what "
                    "the team records in the hub"
                ),
            )
        )
    return found


@dataclass
class Analysis:
    graph: nx.Graph
    weak_links: list[WeakLink] = field(default_factory=list)


def by_severity(link: WeakLink) -> tuple[float, str, tuple[str, ...]]:
    return (-link.severity, link.kind.value, link.nodes)


def analyse(facts: NetworkFacts, thresholds: Thresholds | None = None) -> Analysis:
    """The graph and its weak links, most severe first."""
    limits = thresholds or Thresholds()
    graph = build_graph(facts)
    links = (
        single_points_of_failure(graph)
        + dried_up_flows(facts, limits)
        + agreement_gaps(facts, limits)
        + coverage_gaps(facts, limits)
        + weak_ties(graph, limits)
        + verdict_gaps(facts, limits)
    )
    links.sort(key=by_severity)
    return Analysis(graph, links)
