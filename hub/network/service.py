"""The partner network: SQL counts the facts, `graphs` analyses them, this module serves them.

Only aggregates leave SQL here: counts per partner and team, and per pair of partners the
number of households both signalled. Counts under five are shown as "<5" wherever a person
could see them.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import networkx as nx

from graphs.network import (
    CoSignal,
    FlowTable,
    NetworkFacts,
    PartnerNode,
    TeamNode,
    Verdict,
    partner_node,
    team_node,
)
from graphs.weak_links import Analysis, WeakLink, analyse
from hub.network import store
from hub.platform.clock import LOCAL_TIME, today
from hub.platform.errors import InvalidFields
from hub.privacy.masking import COUNT_KEYS, is_masked, masked_figures
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import asyncpg


@dataclass(frozen=True)
class NetworkQuery:
    start: date
    end: date  # inclusive
    municipality: str | None = None
    partner_kind: PartnerKind | None = None
    team: str | None = None

    @property
    def previous(self) -> tuple[date, date]:
        length = self.end - self.start + timedelta(days=1)
        return self.start - length, self.start - timedelta(days=1)


def default_query(last_day: date, days: int = 42) -> NetworkQuery:
    return NetworkQuery(start=last_day - timedelta(days=days - 1), end=last_day)


def query_from(params: Mapping[str, str]) -> NetworkQuery:
    """Filters from a query string (`from`, `to`, `municipality`, `partner_kind`, `team`);
    a bad value is InvalidFields."""
    base = default_query(today())
    try:
        start = date.fromisoformat(params["from"]) if params.get("from") else base.start
        end = date.fromisoformat(params["to"]) if params.get("to") else base.end
        kind = PartnerKind(params["partner_kind"]) if params.get("partner_kind") else None
    except ValueError as error:
        raise InvalidFields(str(error), errors=[{"loc": ["query"], "msg": str(error)}]) from None
    if start > end or (end - start).days > 366:
        message = "from must be on or before to, at most a year apart"
        raise InvalidFields(message, errors=[{"loc": ["from"], "msg": message}])
    if not (date(2000, 1, 1) <= start and end <= date(2099, 12, 31)):
        message = "the period lies between 2000-01-01 and 2099-12-31"
        raise InvalidFields(message, errors=[{"loc": ["from"], "msg": message}])
    for name in ("municipality", "team"):
        if any(ord(c) < 32 or ord(c) == 127 for c in params.get(name, "")):
            message = f"{name} holds a control character"
            raise InvalidFields(message, errors=[{"loc": ["query", name], "msg": message}])
    return NetworkQuery(
        start, end, params.get("municipality") or None, kind, params.get("team") or None
    )


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, LOCAL_TIME),
        datetime.combine(last + timedelta(days=1), time.min, LOCAL_TIME),
    )


async def load_facts(pool: asyncpg.Pool, query: NetworkQuery) -> NetworkFacts:
    start, end = _bounds(query.start, query.end)
    before_start, _ = _bounds(*query.previous)
    kind = query.partner_kind.value if query.partner_kind else None
    async with pool.acquire() as conn:
        teams = await store.teams(conn, query.municipality, query.team)
        partners = await store.partners(conn, kind)
        flows = await store.flows(conn, start, end, before_start, query.start, query.end)
        cosignals = await store.cosignals(conn, start, end)
    team_codes = {row["code"] for row in teams}
    partner_ids = {row["id"] for row in partners}
    if query.municipality or query.team:
        # A municipality's or a team's network holds the partners that work with its teams
        # (in this period or the one before), not every partner of the region.
        partner_ids &= {
            partner
            for partner, team, now, before in zip(
                flows.partner, flows.team, flows.count, flows.previous, strict=True
            )
            if team in team_codes and (now or before)
        }
        partners = [row for row in partners if row["id"] in partner_ids]
    if query.municipality or query.team or query.partner_kind:
        keep = [
            place
            for place, (partner, team) in enumerate(zip(flows.partner, flows.team, strict=True))
            if team in team_codes and partner in partner_ids
        ]
        flows = FlowTable(*([column[place] for place in keep] for column in flows.columns()))
    return NetworkFacts(
        partners=[PartnerNode(r["id"], r["name"], PartnerKind(r["kind"])) for r in partners],
        teams=[TeamNode(r["code"], r["name"], r["municipality"]) for r in teams],
        flows=flows,
        cosignals=[
            CoSignal(r["pa"], r["pb"], r["households"])
            for r in cosignals
            if r["pa"] in partner_ids and r["pb"] in partner_ids
        ],
    )


def tells_a_masked_count(link: WeakLink) -> bool:
    """Whether the link's figures hold a count of 1 to 4: its severity was reckoned from it."""
    return any(
        key in COUNT_KEYS and isinstance(value, int) and is_masked(value)
        for key, value in link.evidence.items()
    )


def in_shown_order(links: list[WeakLink]) -> list[WeakLink]:
    """Most severe first, as far as the shown figures go: a link whose severity came from a
    masked count would tell it by its place (2 signals rank below 3), so those follow the
    others, in the order of their names. `links` come most severe first, as `analyse` gives
    them, so the others keep their order and only the masked ones are sorted again."""
    shown: list[WeakLink] = []
    masked: list[WeakLink] = []
    for link in links:
        (masked if tells_a_masked_count(link) else shown).append(link)
    masked.sort(key=lambda link: (link.kind.value, link.nodes))
    return shown + masked


async def network(
    pool: asyncpg.Pool, query: NetworkQuery, verdicts: Sequence[Verdict] = ()
) -> Analysis:
    """The network of the period with its weak links; `verdicts` are partners' own verdicts
    (from the partner survey) to weigh against what was measured."""
    facts = await load_facts(pool, query)
    facts.verdicts = list(verdicts)
    # networkx is CPU work: keep it off the event loop.
    analysis = await asyncio.to_thread(analyse, facts)
    analysis.weak_links = in_shown_order(analysis.weak_links)
    return analysis


def node_link(analysis: Analysis, query: NetworkQuery) -> dict[str, Any]:
    """JSON for exports: node-link data with small counts masked, and the weak links."""
    graph = masked(analysis.graph)
    data = nx.node_link_data(graph, edges="links")
    return {
        "period": {"from": query.start.isoformat(), "to": query.end.isoformat()},
        "graph": data,
        "weak_links": [
            {
                "kind": link.kind.value,
                "nodes": list(link.nodes),
                "evidence": masked_figures(link.evidence),
                # Reckoned from the counts: not shown where one of them is masked.
                "severity": None if tells_a_masked_count(link) else round(link.severity, 2),
                "action": link.action,
            }
            for link in analysis.weak_links
        ],
    }


def masked(graph: nx.Graph) -> nx.Graph:
    copy = graph.copy()
    for *_, data in copy.edges(data=True):
        figures = masked_figures(data)
        data.clear()
        data.update(figures)
    return copy


# What XML 1.0 cannot hold (GraphML and GEXF are XML).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def export(analysis: Analysis, fmt: str) -> str:
    """GraphML or GEXF (for Gephi) of the masked graph."""
    graph = masked(analysis.graph)
    for *_, data in graph.edges(data=True):
        for key, value in list(data.items()):
            data[key] = str(value) if not isinstance(value, bool | str) else value
    for _, data in graph.nodes(data=True):
        for key, value in list(data.items()):
            if isinstance(value, str):  # names stored before control characters were refused
                data[key] = _XML_UNSAFE.sub("", value)
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(graph, buffer)
    else:
        nx.write_gexf(graph, buffer)
    return buffer.getvalue().decode()


async def snapshot(pool: asyncpg.Pool, day: date, analysis: Analysis | None = None) -> int:
    """Keep the figures of every link of the default window ending on `day` (idempotent);
    `analysis` is that window's, where the caller has it already. Read off the facts, not the
    graph: a country's graph would take seconds and hundreds of megabytes to build."""
    if analysis is None:
        analysis = await network(pool, default_query(day))
    figures: dict[tuple[str, str, str], dict[str, Any]] = {}
    for flow in analysis.facts.flows:
        if flow.count > 0:
            a, b = partner_node(flow.partner), team_node(flow.team)
            figures[(min(a, b), max(a, b), "flow")] = {
                "count": flow.count,
                "previous": flow.previous,
                "agreement": flow.agreement,
                "due": flow.due,
                "on_time": flow.on_time,
            }
    for tie in analysis.facts.cosignals:
        if tie.households > 0:
            a, b = partner_node(tie.partner_a), partner_node(tie.partner_b)
            figures[(min(a, b), max(a, b), "cosignal")] = {"households": tie.households}
    rows = [(day, a, b, relation, data) for (a, b, relation), data in figures.items()]
    async with pool.acquire() as conn, conn.transaction():
        await store.replace_snapshot(conn, day, rows)
    return len(rows)


async def earlier_figures(
    pool: asyncpg.Pool, before: date, days_back: int = 30
) -> dict[tuple[str, str], tuple[date, dict[str, Any]]]:
    """Per link, the oldest snapshot within `days_back` days before `before`."""
    async with pool.acquire() as conn:
        rows = await store.oldest_snapshots(conn, before - timedelta(days=days_back), before)
    return {(r["node_a"], r["node_b"]): (r["day"], r["figures"]) for r in rows}


def labels_of(analysis: Analysis) -> dict[str, str]:
    """Node name -> the organisation's name, without building the graph."""
    facts = analysis.facts
    found = {partner_node(partner.id): partner.name for partner in facts.partners}
    found.update((team_node(team.code), team.name) for team in facts.teams)
    return found


def weak_link_text_lines(analysis: Analysis) -> list[str]:
    """The weak links as plain text lines for `hub graph report` (English, for administrators)."""
    label = labels_of(analysis)
    lines = []
    for link in analysis.weak_links:
        names = " / ".join(label.get(n, n) for n in link.nodes)
        evidence = ", ".join(
            f"{key}={value}" for key, value in masked_figures(link.evidence).items()
        )
        lines.append(f"{link.severity:.2f}  {link.kind.value:<22} {names}  ({evidence})")
        lines.append(f"      -> {link.action}")
    return lines
