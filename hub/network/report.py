"""The nightly network report: the default window's weak links, kept in the database.

A region's or a country's network (tens of thousands of partners) takes seconds to analyse and
cannot be drawn; its managers' page is served from last night's report instead, a page of weak
links at a time (`hub.web.pages.network`). The report holds organisations' names and counts
only, as the analysis does; small counts are masked where they are shown, not here.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from graphs.network import FlowTable
from graphs.weak_links import Analysis, WeakLink, WeakLinkKind
from hub.network import store
from hub.network.service import NetworkQuery, default_query, labels_of, network, snapshot

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import asyncpg

    from graphs.network import Verdict

    # Partners' verdicts of the window (the partner survey's, a domain above this one).
    VerdictSource = Callable[[asyncpg.Pool, NetworkQuery, date], Awaitable[Sequence[Verdict]]]

KEEP_DAYS = 14


@dataclass(frozen=True)
class ReportHead:
    day: date
    period_start: date
    period_end: date
    built_at: datetime | None
    partners: int
    teams: int
    edges: int
    weak_links: int
    by_kind: dict[WeakLinkKind, int]

    @property
    def nodes(self) -> int:
        return self.partners + self.teams


@dataclass(frozen=True)
class ReportLink:
    """A weak link as the page shows it: the link, its place in the order shown (1-based) and
    the names of its nodes."""

    place: int
    link: WeakLink
    labels: dict[str, str]


def head_of(
    analysis: Analysis, query: NetworkQuery, built_at: datetime | None = None
) -> ReportHead:
    facts = analysis.facts
    counts = (
        facts.flows.count if isinstance(facts.flows, FlowTable) else [f.count for f in facts.flows]
    )
    return ReportHead(
        day=query.end,
        period_start=query.start,
        period_end=query.end,
        built_at=built_at,
        partners=len(facts.partners),
        teams=len(facts.teams),
        edges=sum(1 for count in counts if count > 0)
        + sum(1 for tie in facts.cosignals if tie.households > 0),
        weak_links=len(analysis.weak_links),
        by_kind=dict(Counter(link.kind for link in analysis.weak_links)),
    )


async def nightly(pool: asyncpg.Pool, day: date, verdicts: VerdictSource) -> int:
    """Analyse the default window ending on `day` (with partners' verdicts from `verdicts`),
    keep each link's figures (for "how it looked a month ago") and the report; returns the weak
    links found."""
    query = default_query(day)
    started = time.monotonic()
    analysis = await network(pool, query, await verdicts(pool, query, day))
    seconds = time.monotonic() - started
    await snapshot(pool, day, analysis)
    await keep_report(pool, analysis, query, seconds)
    return len(analysis.weak_links)


async def keep_report(
    pool: asyncpg.Pool, analysis: Analysis, query: NetworkQuery, seconds: float
) -> None:
    head = head_of(analysis, query)
    names = labels_of(analysis)
    rows = []
    for link in analysis.weak_links:
        a = link.nodes[0] if link.nodes else None
        b = link.nodes[1] if len(link.nodes) > 1 else None
        rows.append(
            (
                link.kind.value,
                a,
                b,
                names.get(a, a) if a else None,
                names.get(b, b) if b else None,
                link.evidence,
                link.severity,
            )
        )
    fields: dict[str, Any] = {
        "day": head.day,
        "period_start": head.period_start,
        "period_end": head.period_end,
        "seconds": seconds,
        "partners": head.partners,
        "teams": head.teams,
        "edges": head.edges,
        "by_kind": {kind.value: count for kind, count in head.by_kind.items()},
    }
    async with pool.acquire() as conn, conn.transaction():
        await store.replace_report(conn, fields, rows, head.day - timedelta(days=KEEP_DAYS))


async def latest(pool: asyncpg.Pool) -> ReportHead | None:
    async with pool.acquire() as conn:
        row = await store.latest_report(conn)
    if row is None:
        return None
    return ReportHead(
        day=row["day"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        built_at=row["built_at"],
        partners=row["partners"],
        teams=row["teams"],
        edges=row["edges"],
        weak_links=row["weak_links"],
        by_kind={WeakLinkKind(kind): count for kind, count in row["by_kind"].items()},
    )


def _link(row: asyncpg.Record) -> ReportLink:
    nodes = tuple(node for node in (row["node_a"], row["node_b"]) if node is not None)
    labels = {
        node: label
        for node, label in ((row["node_a"], row["label_a"]), (row["node_b"], row["label_b"]))
        if node is not None
    }
    link = WeakLink(WeakLinkKind(row["kind"]), nodes, row["evidence"], row["severity"], "")
    return ReportLink(row["place"], link, labels)


async def page_of_links(
    pool: asyncpg.Pool, day: date, kind: WeakLinkKind | None, offset: int, limit: int
) -> list[ReportLink]:
    async with pool.acquire() as conn:
        rows = await store.report_links(conn, day, kind.value if kind else None, offset, limit)
    return [_link(row) for row in rows]


async def one_link(pool: asyncpg.Pool, day: date, place: int) -> ReportLink | None:
    async with pool.acquire() as conn:
        row = await store.report_link(conn, day, place)
    return _link(row) if row is not None else None
