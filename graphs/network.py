"""The partner network: partners and teams as nodes, signal flows, agreements and co-signals as
edges, built from aggregate counts only (no person, no household ever enters here). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from schemas.signals import PartnerKind


@dataclass(frozen=True)
class PartnerNode:
    id: str
    name: str
    kind: PartnerKind
    municipality: str | None = None


@dataclass(frozen=True)
class TeamNode:
    code: str
    name: str
    municipality: str


@dataclass(frozen=True)
class Flow:
    """Signals from a partner to a team in the period, and in the period before it."""

    partner: str
    team: str
    count: int
    previous: int = 0
    agreement: bool = False
    due: int = 0  # feedback deadlines in the period
    on_time: int = 0


FLOW_COLUMNS = ("partner", "team", "count", "previous", "agreement", "due", "on_time")


@dataclass
class FlowTable:
    """Flows as columns, one list per field of `Flow`, all of one length: as a query returns them
    in arrays. On a national network (500,000 flows) reading the fields off one object per flow
    took a second of the analysis; columns are read as they are (benchmarks/README.md).
    Iterating gives `Flow` objects, for code that wants them one by one."""

    partner: list[str] = field(default_factory=list)
    team: list[str] = field(default_factory=list)
    count: list[int] = field(default_factory=list)
    previous: list[int] = field(default_factory=list)
    agreement: list[bool] = field(default_factory=list)
    due: list[int] = field(default_factory=list)
    on_time: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        lengths = {len(column) for column in self.columns()}
        if len(lengths) > 1:
            raise ValueError(f"the columns of a flow table differ in length: {sorted(lengths)}")

    def columns(self) -> tuple[list[Any], ...]:
        return (
            self.partner,
            self.team,
            self.count,
            self.previous,
            self.agreement,
            self.due,
            self.on_time,
        )

    @classmethod
    def of(cls, flows: Iterable[Flow]) -> FlowTable:
        table = cls()
        for flow in flows:
            table.partner.append(flow.partner)
            table.team.append(flow.team)
            table.count.append(flow.count)
            table.previous.append(flow.previous)
            table.agreement.append(flow.agreement)
            table.due.append(flow.due)
            table.on_time.append(flow.on_time)
        return table

    def __len__(self) -> int:
        return len(self.partner)

    def __iter__(self) -> Iterator[Flow]:
        return (Flow(*row) for row in zip(*self.columns(), strict=True))


@dataclass(frozen=True)
class CoSignal:
    """Households two partners both signalled in the period (a count, nothing more)."""

    partner_a: str
    partner_b: str
    households: int


@dataclass(frozen=True)
class Verdict:
    """Partners' own verdict beside what was measured, over the period one survey asked about,
    for one team (every kind of partner) or one kind of partner (every team): how many rated
    "agreements are kept" and how many of them agreed; how many feedback deadlines fell in the
    period and how many were met on time."""

    team: str | None
    partner_kind: PartnerKind | None
    answers: int
    agreeing: int
    due: int
    on_time: int
    survey_closed: str = ""  # the survey's closing day (ISO), to say which survey


@dataclass
class NetworkFacts:
    partners: list[PartnerNode] = field(default_factory=list)
    teams: list[TeamNode] = field(default_factory=list)
    flows: list[Flow] | FlowTable = field(default_factory=list)
    cosignals: list[CoSignal] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)


def partner_node(partner_id: str) -> str:
    return f"partner:{partner_id}"


def team_node(code: str) -> str:
    return f"team:{code}"


def build_graph(facts: NetworkFacts) -> nx.Graph:
    """An undirected graph: `flow` edges partner-team (current counts), `cosignal` edges
    partner-partner. Nodes carry `role` (partner/team), `label`, `kind` and `municipality`."""
    graph = nx.Graph()
    graph.add_nodes_from(
        (
            partner_node(partner.id),
            {
                "role": "partner",
                "label": partner.name,
                "kind": partner.kind.value,
                "municipality": partner.municipality or "",
            },
        )
        for partner in facts.partners
    )
    graph.add_nodes_from(
        (
            team_node(team.code),
            {"role": "team", "label": team.name, "kind": "team", "municipality": team.municipality},
        )
        for team in facts.teams
    )
    graph.add_edges_from(
        (
            partner_node(flow.partner),
            team_node(flow.team),
            {
                "relation": "flow",
                "count": flow.count,
                "previous": flow.previous,
                "agreement": flow.agreement,
                "due": flow.due,
                "on_time": flow.on_time,
            },
        )
        for flow in facts.flows
        if flow.count > 0
    )
    graph.add_edges_from(
        (
            partner_node(tie.partner_a),
            partner_node(tie.partner_b),
            {"relation": "cosignal", "households": tie.households},
        )
        for tie in facts.cosignals
        if tie.households > 0
    )
    return graph
