"""How well feedback agreements are kept: per partner, team, step and ISO week of the deadline,
how many were due, met on time, met late, or are past their day and still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.feedback import store
from hub.platform.clock import local_day

if TYPE_CHECKING:
    import asyncpg


async def compliance(pool: asyncpg.Pool, now: datetime, weeks: int = 12) -> list[dict[str, Any]]:
    today = local_day(now)
    async with pool.acquire() as conn:
        rows = await store.compliance(conn, today - timedelta(weeks=weeks), today)
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class Totals:
    """The same deadlines summed per step and week, per team (None: no team yet) and per
    partner: what the managers' page shows."""

    per_week: list[dict[str, Any]]
    per_team: list[dict[str, Any]]
    per_partner: list[dict[str, Any]]


async def compliance_totals(pool: asyncpg.Pool, now: datetime, weeks: int = 12) -> Totals:
    today = local_day(now)
    async with pool.acquire() as conn:
        rows = await store.compliance_totals(conn, today - timedelta(weeks=weeks), today)
    kept: dict[int, list[dict[str, Any]]] = {1: [], 2: [], 3: []}
    for row in rows:
        kept[row["kept"]].append(dict(row))
    return Totals(per_week=kept[3], per_team=kept[1], per_partner=kept[2])
