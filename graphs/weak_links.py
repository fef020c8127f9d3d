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

import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple, cast

import networkx as nx
import numpy as np
import rustworkx as rx

from graphs.network import (
    FlowTable,
    NetworkFacts,
    Verdict,
    build_graph,
    partner_node,
    team_node,
)
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


class WeakLink(NamedTuple):
    """A weak link and its evidence. A named tuple: the national network has a quarter of a
    million of them, and a tuple is made in half the time of a frozen dataclass."""

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


@dataclass(frozen=True)
class Columns:
    """The facts as arrays, built once per analysis: every node numbered (partners first, then
    teams, then any name a flow or tie mentions that the lists lack), every flow as a row of
    equal-length arrays, and the drawn network's edges: flows with signals in the period, one
    per pair of partner and team (the last one given wins, as in `build_graph`).

    Built straight from the facts without a networkx graph: on a national network (50,000
    partners, 500,000 edges) building that graph took 2.6 s of a 8.8 s report
    (benchmarks/README.md)."""

    names: list[str]  # node number -> "partner:ID" / "team:CODE"
    partner_kind: list[PartnerKind | None]  # node number -> the partner's kind, if a known partner
    # One row per flow of the facts, in their order.
    partner: np.ndarray
    team: np.ndarray
    count: np.ndarray
    previous: np.ndarray
    agreement: np.ndarray
    due: np.ndarray
    on_time: np.ndarray
    # The flow network's edges: which flow row each is, partner and team numbers.
    edge_row: np.ndarray
    # Co-signal ties with households, one per pair (the last one given wins): numbers and counts.
    tie_a: np.ndarray
    tie_b: np.ndarray
    tie_households: np.ndarray

    @property
    def edge_partner(self) -> np.ndarray:
        return cast("np.ndarray", self.partner[self.edge_row])

    @property
    def edge_team(self) -> np.ndarray:
        return cast("np.ndarray", self.team[self.edge_row])


def columns(facts: NetworkFacts) -> Columns:
    names: list[str] = []
    kinds: list[PartnerKind | None] = []
    partners: dict[str, int] = {}
    teams: dict[str, int] = {}
    for known in facts.partners:
        if known.id not in partners:
            partners[known.id] = len(names)
            names.append(partner_node(known.id))
            kinds.append(known.kind)
    for district in facts.teams:
        if district.code not in teams:
            teams[district.code] = len(names)
            names.append(team_node(district.code))
            kinds.append(None)

    def numbered(keys: Sequence[str], known: dict[str, int], name: Any) -> np.ndarray:
        found = list(map(known.get, keys))
        if None in found:  # a flow or tie naming a node the lists lack: number it too
            for i, key in enumerate(keys):
                if found[i] is None:
                    if key not in known:
                        known[key] = len(names)
                        names.append(name(key))
                        kinds.append(None)
                    found[i] = known[key]
        return np.array(found, dtype=np.int64)

    flows = facts.flows if isinstance(facts.flows, FlowTable) else FlowTable.of(facts.flows)
    partner_ids, team_codes, count, previous, agreement, due, on_time = flows.columns()
    partner = numbered(partner_ids, partners, partner_node)
    team = numbered(team_codes, teams, team_node)
    counts = np.array(count, dtype=np.int64)
    # Last flow given per pair with signals: unique over the reversed rows keeps the last one.
    with_signals = np.flatnonzero(counts > 0)[::-1]
    pair = partner[with_signals] * (len(names) + 1) + team[with_signals]
    _, first = np.unique(pair, return_index=True)
    edge_row = np.sort(with_signals[first])

    ties = [tie for tie in facts.cosignals if tie.households > 0]
    a = numbered(tuple(tie.partner_a for tie in ties), partners, partner_node)
    b = numbered(tuple(tie.partner_b for tie in ties), partners, partner_node)
    households = np.array([tie.households for tie in ties], dtype=np.int64)
    # One tie per pair whichever way round it was given, the last one winning; named in order.
    swap = np.array([names[x] > names[y] for x, y in zip(a.tolist(), b.tolist(), strict=True)])
    low, high = (np.where(swap, b, a), np.where(swap, a, b)) if len(ties) else (a, b)
    tie_pair = low * (len(names) + 1) + high
    _, last = np.unique(tie_pair[::-1], return_index=True)
    keep = np.sort(len(ties) - 1 - last)
    return Columns(
        names=names,
        partner_kind=kinds,
        partner=partner,
        team=team,
        count=counts,
        previous=np.array(previous, dtype=np.int64),
        agreement=np.array(agreement, dtype=bool),
        due=np.array(due, dtype=np.int64),
        on_time=np.array(on_time, dtype=np.int64),
        edge_row=edge_row,
        tie_a=low[keep],
        tie_b=high[keep],
        tie_households=households[keep],
    )


def _flow_graph(graph: nx.Graph) -> tuple[rx.PyGraph, list[str], dict[tuple[str, str], int]]:
    """The flow edges of a networkx graph as a rustworkx graph, with node names and counts."""
    index: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    edges = []
    for a, neighbours in graph.adj.items():
        for b, data in neighbours.items():
            if a < b and data["relation"] == "flow":
                edges.append((index.setdefault(a, len(index)), index.setdefault(b, len(index))))
                counts[(a, b)] = counts[(b, a)] = data["count"]
    flows = rx.PyGraph(multigraph=False)
    flows.add_nodes_from(list(index))
    flows.extend_from_edge_list(edges)
    return flows, list(index), counts


class Found:
    """Weak links as they are found, each with what orders it kept beside it as numbers
    (severity, kind, node numbers), so that ordering them needs no Python comparison of tuples
    of strings: on 240,000 links that sort took a quarter of the report (benchmarks/README.md).
    `names` numbers the nodes; a name it lacks is numbered when first used."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.number = {name: place for place, name in enumerate(names)}
        self.links: list[WeakLink] = []
        self.severity: list[float] = []
        self.kind: list[int] = []
        self.first: list[int] = []  # node numbers, -1 where the link names fewer nodes
        self.second: list[int] = []

    def node(self, name: str) -> int:
        number = self.number.get(name)
        if number is None:
            number = self.number[name] = len(self.names)
            self.names.append(name)
        return number

    def add(
        self,
        kind: WeakLinkKind,
        first: int,
        second: int,
        evidence: dict[str, float | int | str],
        severity: float,
        action: str,
    ) -> None:
        names = self.names
        if second >= 0:
            nodes: tuple[str, ...] = (names[first], names[second])
        else:
            nodes = (names[first],) if first >= 0 else ()
        self.links.append(WeakLink(kind, nodes, evidence, severity, action))
        self.severity.append(severity)
        self.kind.append(_KIND_ORDER[kind])
        self.first.append(first)
        self.second.append(second)

    def extend(
        self,
        kind: WeakLinkKind,
        first: np.ndarray,
        second: np.ndarray,
        evidence: Iterable[dict[str, float | int | str]],
        severity: list[float],
        action: str,
    ) -> None:
        """Links of one kind between pairs of nodes, given as arrays (one row a link)."""
        names = self.names
        self.links += [
            WeakLink(kind, (names[a], names[b]), figures, weight, action)
            for a, b, figures, weight in zip(
                first.tolist(), second.tolist(), evidence, severity, strict=True
            )
        ]
        self.severity += severity
        self.kind += [_KIND_ORDER[kind]] * len(severity)
        self.first += first.tolist()
        self.second += second.tolist()

    def __iter__(self) -> Iterator[WeakLink]:
        return iter(self.links)

    def __len__(self) -> int:
        return len(self.links)

    def most_severe_first(self) -> list[WeakLink]:
        """The links in the order of `by_severity`: severity down, then kind, then node names
        (a link naming fewer nodes first, as the shorter tuple sorts). Stable, as that sort is."""
        if not self.links:
            return []
        by_name = sorted(range(len(self.names)), key=self.names.__getitem__)
        rank = np.empty(len(self.names) + 1, dtype=np.int64)
        rank[np.array(by_name, dtype=np.int64)] = np.arange(1, len(by_name) + 1)
        rank[-1] = 0  # node number -1: no node, first
        first = rank[np.array(self.first, dtype=np.int64)]
        second = rank[np.array(self.second, dtype=np.int64)]
        kind = np.array(self.kind, dtype=np.int64)
        severity = np.array(self.severity, dtype=np.float64)
        order = np.lexsort((second, first, kind, -severity))
        links = self.links
        return [links[i] for i in order.tolist()]


_KIND_ORDER = {kind: rank for rank, kind in enumerate(sorted(WeakLinkKind, key=str))}


def single_points_of_failure(network: nx.Graph | Columns, found: Found | None = None) -> Found:
    """Bridges and cut vertices of the flow network.

    The search runs in rustworkx: on a national network (50,000 partners, 500,000 edges) one
    networkx search in Python took 3.4 s, rustworkx 0.15 s (benchmarks/README.md). A cut
    vertex's loss splits its part of the network into as many pieces as there are blocks
    (biconnected components) around it. Takes the analysis's columns, or (for tests against
    networkx) a graph whose flow edges carry `relation` and `count`.
    """
    if isinstance(network, Columns):
        name = network.names
        found = found if found is not None else Found(name)
        # One edge per pair already: no need for rustworkx to look for parallel ones (4x faster).
        flows = rx.PyGraph(multigraph=True)
        flows.add_nodes_from(range(len(name)))
        ends = zip(network.edge_partner.tolist(), network.edge_team.tolist(), strict=True)
        flows.extend_from_edge_list(list(ends))
        size = len(name) + 1
        keys = network.edge_partner * size + network.edge_team
        order = np.argsort(keys)
        edge_count = network.count[network.edge_row]
        degrees = np.bincount(
            np.concatenate([network.edge_partner, network.edge_team]), minlength=len(name)
        ).tolist()

        def counts_of(partners: list[int], teams: list[int]) -> list[int]:
            wanted = np.array(partners, dtype=np.int64) * size + np.array(teams, dtype=np.int64)
            return cast(
                "list[int]", edge_count[order[np.searchsorted(keys, wanted, sorter=order)]].tolist()
            )

    else:
        flows, name, by_name = _flow_graph(network)
        found = found if found is not None else Found(name)
        degrees = [flows.degree(node) for node in flows.node_indices()]

        def counts_of(partners: list[int], teams: list[int]) -> list[int]:
            return [by_name[(name[p], name[t])] for p, t in zip(partners, teams, strict=True)]

    # Each bridge as (partner, team); their order does not matter, the links are sorted later.
    bridges = [
        (u, v) if name[u].startswith("partner:") else (v, u)
        for u, v in cast("set[tuple[int, int]]", rx.bridges(flows))  # its stub: tuple[int]
    ]
    partners = [partner for partner, _ in bridges]
    teams = [team for _, team in bridges]
    for partner, team, signals in zip(partners, teams, counts_of(partners, teams), strict=True):
        if degrees[team] == 1:
            lonely, severity = name[team], 0.9
            action = "find a second partner that sees these households"
        elif degrees[partner] == 1:
            lonely, severity = name[partner], 0.5
            action = "this partner reaches no other team: check whether that is right"
        else:
            lonely, severity = "", 0.7
            action = "the only link between two parts of the network: add a second one"
        found.add(
            WeakLinkKind.BRIDGE,
            found.node(name[partner]),
            found.node(name[team]),
            {"signals": signals, "lonely_node": lonely},
            severity,
            action,
        )
    points = rx.articulation_points(flows)
    if points:
        block = rx.biconnected_components(flows)  # (u, v) -> its block
        for node in points:
            pieces = len(
                {
                    block[(node, other)] if (node, other) in block else block[(other, node)]
                    for other in flows.neighbors(node)
                }
            )
            found.add(
                WeakLinkKind.ARTICULATION_POINT,
                found.node(name[node]),
                -1,
                {"components_if_lost": pieces, "degree": degrees[node]},
                min(1.0, 0.4 + 0.2 * pieces),
                "the network falls apart without this node: spread its links",
            )
    return found


def dried_up_flows(table: Columns, thresholds: Thresholds, found: Found | None = None) -> Found:
    """Flows far below their own previous period: only those that fell at all and had enough
    before are judged, so the Poisson tail is reckoned for few."""
    found = found if found is not None else Found(table.names)
    candidates = np.flatnonzero(
        (table.previous >= thresholds.dried_up_min_previous) & (table.count < table.previous)
    )
    for now, before, p, t in zip(
        table.count[candidates].tolist(),
        table.previous[candidates].tolist(),
        table.partner[candidates].tolist(),
        table.team[candidates].tolist(),
        strict=True,
    ):
        p_value = poisson_cdf(now, before)
        if p_value < thresholds.dried_up_p_value:
            found.add(
                WeakLinkKind.DRIED_UP_FLOW,
                p,
                t,
                {"now": now, "before": before, "p_value": round(p_value, 5)},
                min(1.0, 1 - now / before),
                "ask the partner why it stopped signalling this team",
            )
    return found


def agreement_gaps(table: Columns, thresholds: Thresholds, found: Found | None = None) -> Found:
    """Flows with signals but no agreement; and flows under an agreement (or without signals
    in the period) whose deadlines were met on time too seldom."""
    found = found if found is not None else Found(table.names)
    missing = np.flatnonzero((table.count > 0) & ~table.agreement)
    counts = table.count[missing]
    found.extend(
        WeakLinkKind.NO_AGREEMENT,
        table.partner[missing],
        table.team[missing],
        ({"signals": now} for now in counts.tolist()),
        # As Python reckons it: IEEE double arithmetic either way.
        np.minimum(1.0, 0.3 + counts / 50).tolist(),
        "make a feedback agreement with this partner",
    )
    judged = ((table.count <= 0) | table.agreement) & (table.due >= thresholds.compliance_min_due)
    rate = np.divide(table.on_time, table.due, out=np.ones(len(table.due)), where=judged)
    poor = np.flatnonzero(judged & (rate < thresholds.compliance_floor))
    rates = rate[poor].tolist()
    found.extend(
        WeakLinkKind.AGREEMENT_KEPT_POORLY,
        table.partner[poor],
        table.team[poor],
        (
            {"due": due, "on_time": on_time, "rate": round(share, 2)}
            for due, on_time, share in zip(
                table.due[poor].tolist(), table.on_time[poor].tolist(), rates, strict=True
            )
        ),
        [round(1 - share, 2) for share in rates],
        "the team keeps this agreement poorly: discuss capacity or terms",
    )
    return found


def coverage_gaps(
    facts: NetworkFacts, table: Columns, thresholds: Thresholds, found: Found | None = None
) -> Found:
    """Districts no partner of a kind signalled while at least `coverage_share` of the other
    districts of their municipality were."""
    found = found if found is not None else Found(table.names)
    wanted = {kind: code for code, kind in enumerate(thresholds.coverage_kinds)}
    kind_code = np.array([wanted.get(kind, -1) if kind else -1 for kind in table.partner_kind])
    rows = table.count > 0
    sender = kind_code[table.partner[rows]] if len(kind_code) else np.array([], dtype=np.int64)
    size = len(table.names) + 1
    pairs = np.unique((sender + 1) * size + table.team[rows])  # kind and team, once each
    reached: dict[PartnerKind, set[str]] = {kind: set() for kind in thresholds.coverage_kinds}
    for code, team in zip((pairs // size - 1).tolist(), (pairs % size).tolist(), strict=True):
        if code >= 0:
            reached[thresholds.coverage_kinds[code]].add(table.names[team])
    by_municipality: dict[str, list[str]] = {}
    for team in facts.teams:
        by_municipality.setdefault(team.municipality, []).append(team_node(team.code))
    for kind, teams in reached.items():
        for local in by_municipality.values():
            covered = [team for team in local if team in teams]
            if len(local) < 2 or len(covered) / len(local) < thresholds.coverage_share:
                continue
            for team in local:
                if team not in teams:
                    found.add(
                        WeakLinkKind.COVERAGE_GAP,
                        found.node(team),
                        -1,
                        {
                            "partner_kind": kind.value,
                            "comparable_teams_reached": len(covered),
                            "comparable_teams": len(local),
                        },
                        0.6,
                        f"no {kind.value} partner signals this district: introduce the team to one",
                    )
    return found


def weak_ties(table: Columns, thresholds: Thresholds, found: Found | None = None) -> Found:
    """Pairs of partners that share households but whose districts overlap less than
    `weak_tie_overlap` (Jaccard over the teams each signalled in the period).

    Counted with arrays: every flow edge as one number (partner, team), sorted, and for each
    tie the teams of its first partner looked up among the second's."""
    found = found if found is not None else Found(table.names)
    size = len(table.names) + 1
    partner, team = table.edge_partner, table.edge_team
    keys = np.sort(partner * size + team)
    degree = np.bincount(partner, minlength=size)
    order = np.argsort(partner, kind="stable")
    start = np.concatenate(([0], np.cumsum(degree)))
    a, b = table.tie_a, table.tie_b
    # Each tie repeated once per team of `a`; is (b, that team) a flow edge too?
    spread = np.repeat(np.arange(len(a)), degree[a])
    offsets = np.arange(len(spread)) - np.repeat(np.cumsum(degree[a]) - degree[a], degree[a])
    teams_of_a = team[order[start[a][spread] + offsets]]
    wanted = b[spread] * size + teams_of_a
    place = np.searchsorted(keys, wanted)
    hit = place < len(keys)
    hit[hit] = keys[place[hit]] == wanted[hit]
    shared = np.bincount(spread[hit], minlength=len(a))
    union = degree[a] + degree[b] - shared
    overlap = np.divide(shared, union, out=np.zeros(len(a)), where=union > 0)
    weak = np.flatnonzero(overlap < thresholds.weak_tie_overlap)
    found.extend(
        WeakLinkKind.WEAK_TIE,
        a[weak],
        b[weak],
        (
            {"shared_households": households, "district_overlap": round(share, 2)}
            for households, share in zip(
                table.tie_households[weak].tolist(), overlap[weak].tolist(), strict=True
            )
        ),
        [0.3] * len(weak),
        "these partners meet the same households in different districts: introduce them",
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


def verdict_gaps(facts: NetworkFacts, thresholds: Thresholds, found: Found | None = None) -> Found:
    """A team (or a kind of partner) whose partners rate the keeping of feedback agreements far
    from what the hub measured: rated lower points at communication (the feedback is given but
    does not reach or convince the partner), rated higher at measurement (the team reports back
    in ways the hub does not record)."""
    found = found if found is not None else Found([])
    for verdict in facts.verdicts:
        direction = verdict_gap(verdict, thresholds)
        if direction is None:
            continue
        rated = verdict.agreeing / verdict.answers
        measured = verdict.on_time / verdict.due
        found.add(
            WeakLinkKind.VERDICT_GAP,
            found.node(team_node(verdict.team)) if verdict.team else -1,
            -1,
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
    return found


class Analysis:
    """The weak links of a network, most severe first, and its graph (networkx, for drawing and
    exporting), built only when asked for: the analysis itself does not need it."""

    def __init__(self, facts: NetworkFacts, weak_links: list[WeakLink]) -> None:
        self.facts = facts
        self.weak_links = weak_links

    @cached_property
    def graph(self) -> nx.Graph:
        return build_graph(self.facts)


def by_severity(link: WeakLink) -> tuple[float, str, tuple[str, ...]]:
    return (-link.severity, link.kind.value, link.nodes)


def analyse(facts: NetworkFacts, thresholds: Thresholds | None = None) -> Analysis:
    """The weak links, most severe first (the graph is built when first asked for)."""
    limits = thresholds or Thresholds()
    with collector_paused():
        table = columns(facts)
        found = Found(table.names)
        single_points_of_failure(table, found)
        dried_up_flows(table, limits, found)
        agreement_gaps(table, limits, found)
        coverage_gaps(facts, table, limits, found)
        weak_ties(table, limits, found)
        verdict_gaps(facts, limits, found)
        links = found.most_severe_first()
    return Analysis(facts, links)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the analysis runs. The analysis makes
    hundreds of thousands of objects that live until it ends and form no cycles; every few
    hundred of them the collector would scan the facts (half a million flows) again. On the
    national network this halved the report's time (benchmarks/README.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
