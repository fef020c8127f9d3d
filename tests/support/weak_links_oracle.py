"""The weak-link analysis as it was written on a networkx graph, object by object (before it
was rewritten on arrays): an oracle for the array version, which must find exactly the same
weak links in the same order on any network."""

from __future__ import annotations

from typing import cast

import networkx as nx
import rustworkx as rx

from graphs.network import NetworkFacts, build_graph, partner_node, team_node
from graphs.weak_links import (
    Thresholds,
    WeakLink,
    WeakLinkKind,
    by_severity,
    poisson_cdf,
    verdict_gaps,
)
from schemas.signals import PartnerKind


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


def analyse(facts: NetworkFacts, thresholds: Thresholds | None = None) -> list[WeakLink]:
    limits = thresholds or Thresholds()
    graph = build_graph(facts)
    links = (
        single_points_of_failure(graph)
        + dried_up_flows(facts, limits)
        + agreement_gaps(facts, limits)
        + coverage_gaps(facts, limits)
        + weak_ties(graph, limits)
        + list(verdict_gaps(facts, limits))
    )
    links.sort(key=by_severity)
    return links
