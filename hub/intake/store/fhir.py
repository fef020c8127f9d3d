"""FHIR referrals: codes an administrator mapped to kinds, and what a Task is built from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg


async def mapped_codes(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch("select system, code, kind from fhir_kind_codes")


async def map_code(conn: Connection, system: str, code: str, kind: str) -> None:
    await conn.execute(
        """
        insert into fhir_kind_codes (system, code, kind) values ($1, $2, $3)
        on conflict (system, code) do update set kind = excluded.kind
        """,
        system,
        code,
        kind,
    )


async def set_focus(conn: Connection, signal_id: UUID, focus: str) -> None:
    """What the referral's Task points at; the first referral's, a resend does not change it."""
    await conn.execute(
        "update signals set fhir_focus = $2 where id = $1 and fhir_focus is null",
        signal_id,
        focus,
    )


async def task_facts(conn: Connection, partner_id: UUID, signal_id: UUID) -> asyncpg.Record | None:
    """The partner's signal as its Task needs it; another partner's is absent."""
    return await conn.fetchrow(
        """
        select s.id, s.status, s.received_at, s.fhir_focus, s.external_ref, t.name as team,
               (select max(occurred_at) from events e where e.signal_id = s.id) as modified
        from signals s left join teams t on t.id = s.team_id
        where s.id = $1 and s.partner_id = $2
        """,
        signal_id,
        partner_id,
    )
