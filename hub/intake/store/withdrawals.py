"""Signals their partners withdraw: found by id or by the partner's reference, and marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

_SIGNAL = "select id, status, case_id, team_id, household_id from signals where partner_id = $1"


async def signal_by_id(
    conn: Connection, partner_id: UUID, signal_id: UUID
) -> asyncpg.Record | None:
    """The partner's signal, locked while it is withdrawn; another partner's is absent."""
    return await conn.fetchrow(f"{_SIGNAL} and id = $2 for update", partner_id, signal_id)


async def signal_by_reference(
    conn: Connection, partner_id: UUID, external_ref: str
) -> asyncpg.Record | None:
    """The partner's signal with this reference of its own, locked while it is withdrawn."""
    return await conn.fetchrow(
        f"{_SIGNAL} and external_ref = $2 for update",
        partner_id,
        external_ref,
    )


async def set_withdrawn(conn: Connection, signal_id: UUID) -> None:
    """The signal is withdrawn; it keeps its team and case (the team closes the case)."""
    await conn.execute("update signals set status = 'withdrawn' where id = $1", signal_id)
