"""Ticks of scheduled jobs: which instance runs a job's run of a period."""

from __future__ import annotations

from hub.platform.connection import Connection


async def claim_tick(conn: Connection, job: str, tick: int) -> bool:
    """True for the one instance that claims this tick of the job."""
    claimed = await conn.fetchval(
        """
        insert into job_ticks (job, tick) values ($1, $2)
        on conflict (job) do update set tick = excluded.tick, claimed_at = now()
            where job_ticks.tick < excluded.tick
        returning true
        """,
        job,
        tick,
    )
    return bool(claimed)
