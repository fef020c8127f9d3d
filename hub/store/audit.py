"""The access log (NEN 7513): who read personal data, when, which household, on whose behalf,
and why. Append-only, enforced by a trigger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.store import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg


async def log_access(
    conn: Connection,
    actor: str,
    action: str,
    purpose: str,
    reads: Sequence[tuple[str, UUID | None]],
    on_behalf_of: str,
) -> None:
    """One line per (subject, household) read, in the caller's transaction."""
    if not reads:
        return
    await conn.execute(
        """
        insert into access_log (actor, action, subject, purpose, household_id, on_behalf_of)
        select $1, $2, r.subject, $3, r.household, $4
        from unnest($5::text[], $6::uuid[]) as r (subject, household)
        """,
        actor,
        action,
        purpose,
        on_behalf_of,
        [subject for subject, _ in reads],
        [household for _, household in reads],
    )


async def household_history(conn: Connection, household_id: UUID) -> list[asyncpg.Record]:
    """Every read (access log) and change (events) of the household's data, oldest first."""
    return await conn.fetch(
        """
        with history as (
            select occurred_at, actor, on_behalf_of, action, subject, purpose
            from access_log where household_id = $1
            union all
            select e.occurred_at, e.actor, null, e.kind,
                   coalesce('signal:' || e.signal_id, 'case:' || e.case_id), 'change'
            from events e
            where e.signal_id in (select id from signals where household_id = $1)
               or e.case_id in (select id from cases where household_id = $1)
        )
        select h.*, coalesce(u.email, p.name) as who
        from history h
        left join users u on h.actor = 'user:' || u.id::text
        left join partners p on h.actor = 'partner:' || p.id::text
        order by h.occurred_at, h.actor
        """,
        household_id,
    )
