"""Weak links of the partner network, each with its evidence in numbers. Pure.

- single points of failure: bridges and articulation points of the flow network (a district
  reached through one partner only);
- flows that dried up: a partner-team flow far below its own previous period, judged against
  Poisson noise of small counts rather than a bare percentage;
- agreements kept poorly, and partners that signal a team without any agreement;
- coverage gaps: a district no partner of a kind signalled while comparable districts (same
  municipality) did;
- weak ties (Granovetter): partners that share households but hardly share districts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import networkx as nx

from graphs.network import NetworkFacts, build_graph, partner_node, team_node
from schemas.signals import PartnerKind


class WeakLinkKind(StrEnum):
    BRIDGE = "bridge"
    ARTICULATION_POINT = "articulation_point"
    DRIED_UP_FLOW = "dried_up_flow"
    AGREEMENT_KEPT_POORLY = "agreement_kept_poorly"
    NO_AGREEMENT = "no_agreement"
    COVERAGE_GAP = "coverage_gap"
    WEAK_TIE = "weak_tie"


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


def _flow_graph(graph: nx.Graph) -> nx.Graph:
    flows = [(a, b) for a, b, data in graph.edges(data=True) if data["relation"] == "flow"]
    return graph.edge_subgraph(flows).copy()


def single_points_of_failure(graph: nx.Graph) -> list[WeakLink]:
    flows = _flow_graph(graph)
    found = []
    for a, b in nx.bridges(flows):
        partner, team = (a, b) if a.startswith("partner:") else (b, a)
        if flows.degree(team) == 1:
            lonely, severity, action = team, 0.9, "find a second partner that sees these households"
        elif flows.degree(partner) == 1:
            lonely, severity = partner, 0.5
            action = "this partner reaches no other team: check whether that is right"
        else:
            lonely, severity = "", 0.7
            action = "the only link between two parts of the network: add a second one"
        found.append(
            WeakLink(
                WeakLinkKind.BRIDGE,
                (partner, team),
                {"signals": flows.edges[a, b]["count"], "lonely_node": lonely},
                severity=severity,
                action=action,
            )
        )
    # Losing a cut vertex splits its component into as many parts as there are biconnected
    # components around it: counted once, not by removing each vertex in turn.
    around: dict[str, int] = {}
    for component in nx.biconnected_components(flows):
        for node in component:
            around[node] = around.get(node, 0) + 1
    for node in nx.articulation_points(flows):
        pieces = around[node]
        found.append(
            WeakLink(
                WeakLinkKind.ARTICULATION_POINT,
                (node,),
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
    for flow in facts.flows:
        nodes = (partner_node(flow.partner), team_node(flow.team))
        if flow.count > 0 and not flow.agreement:
            found.append(
                WeakLink(
                    WeakLinkKind.NO_AGREEMENT,
                    nodes,
                    {"signals": flow.count},
                    severity=min(1.0, 0.3 + flow.count / 50),
                    action="make a feedback agreement with this partner",
                )
            )
        elif flow.due >= thresholds.compliance_min_due:
            rate = flow.on_time / flow.due
            if rate < thresholds.compliance_floor:
                found.append(
                    WeakLink(
                        WeakLinkKind.AGREEMENT_KEPT_POORLY,
                        nodes,
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
    def teams_of(node: str) -> set[str]:
        return {
            other
            for other in graph.neighbors(node)
            if graph.edges[node, other]["relation"] == "flow"
        }

    found = []
    for a, b, data in graph.edges(data=True):
        if data["relation"] != "cosignal":
            continue
        ours, theirs = teams_of(a), teams_of(b)
        union = ours | theirs
        overlap = len(ours & theirs) / len(union) if union else 0.0
        if overlap < thresholds.weak_tie_overlap:
            found.append(
                WeakLink(
                    WeakLinkKind.WEAK_TIE,
                    tuple(sorted((a, b))),
                    {
                        "shared_households": data["households"],
                        "district_overlap": round(overlap, 2),
                    },
                    severity=0.3,
                    action="these partners meet the same households in different districts: "
                    "introduce them",
                )
            )
    return found


@dataclass
class Analysis:
    graph: nx.Graph
    weak_links: list[WeakLink] = field(default_factory=list)


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
    )
    links.sort(key=lambda link: (-link.severity, link.kind.value, link.nodes))
    return Analysis(graph, links)
