"""How well feedback agreements are kept: per partner, team, step and ISO week of the deadline,
how many were due, met on time, met late, or are past their day and still open."""

from __future__ import annotations

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
