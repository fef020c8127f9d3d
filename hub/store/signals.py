"""Signals, households and the append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from hub.store import Connection, required
from schemas.address import Address
from schemas.signals import SignalIn


async def upsert_household(conn: Connection, address: Address) -> UUID:
    postcode, number, letter, addition = address.household_key()
    row = required(
        await conn.fetchrow(
            """
            insert into households (postcode, house_number, house_letter, addition)
            values ($1, $2, $3, $4)
            on conflict (postcode, house_number, house_letter, addition)
                do update set postcode = excluded.postcode
            returning id
            """,
            postcode,
            number,
            letter,
            addition,
        )
    )
    result: UUID = row["id"]
    return result


_RECEIPT = """
    s.id, s.status, s.received_at, s.payload_sha256, s.external_ref, s.kind, s.urgency,
    t.code as team_code, t.name as team_name
"""


async def signal_by_ref(
    conn: Connection, partner_id: UUID, external_ref: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"select {_RECEIPT} from signals s left join teams t on t.id = s.team_id "  # noqa: S608 - constant columns
        "where s.partner_id = $1 and s.external_ref = $2",
        partner_id,
        external_ref,
    )


async def partner_signal(
    conn: Connection, partner_id: UUID, signal_id: UUID
) -> asyncpg.Record | None:
    """A signal of this partner's; another partner's is as absent as one that never was."""
    return await conn.fetchrow(
        f"select {_RECEIPT} from signals s left join teams t on t.id = s.team_id "  # noqa: S608 - constant columns
        "where s.partner_id = $1 and s.id = $2",
        partner_id,
        signal_id,
    )


async def insert_signal(
    conn: Connection,
    *,
    partner_id: UUID,
    signal: SignalIn,
    payload_sha256: bytes,
    household_id: UUID,
    team_id: int | None,
    routed_by: str | None,
    received_at: datetime | None,
) -> UUID | None:
    """Store a signal; None when the partner's reference exists already (a concurrent twin)."""
    person = signal.person
    row = await conn.fetchrow(
        """
        insert into signals (partner_id, external_ref, payload_sha256, kind, urgency, household_id,
                             person_name, person_birth_date, resident_informed,
                             not_informed_reason, description, status, team_id, routed_by,
                             received_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                case when $12::bigint is null then 'unrouted' else 'routed' end, $12, $13,
                coalesce($14, now()))
        on conflict (partner_id, external_ref) do nothing
        returning id
        """,
        partner_id,
        signal.external_ref,
        payload_sha256,
        signal.kind.value,
        signal.urgency.value,
        household_id,
        person.name if person else None,
        person.birth_date if person else None,
        signal.resident_informed.informed,
        signal.resident_informed.reason,
        signal.description,
        team_id,
        routed_by,
        received_at,
    )
    return row["id"] if row else None


async def append_event(
    conn: Connection,
    signal_id: UUID,
    kind: str,
    actor: str,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> None:
    await conn.execute(
        "insert into events (signal_id, kind, actor, data, occurred_at) "
        "values ($1, $2, $3, $4, coalesce($5, now()))",
        signal_id,
        kind,
        actor,
        data or {},
        occurred_at,
    )


async def team_signals(
    conn: Connection,
    team_id: int,
    limit: int,
    before: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    """The team's signals, newest first, keyset-paged: those older than `before`."""
    return await conn.fetch(
        """
        select s.id, s.kind, s.urgency, s.person_name, s.person_birth_date, s.resident_informed,
               s.not_informed_reason, s.description, s.received_at,
               h.postcode, h.house_number, h.house_letter, h.addition,
               p.name as partner_name, p.kind as partner_kind
        from signals s
        join households h on h.id = s.household_id
        join partners p on p.id = s.partner_id
        where s.team_id = $1
          and ($2::timestamptz is null or (s.received_at, s.id) < ($2, $3::uuid))
        order by s.received_at desc, s.id desc
        limit $4
        """,
        team_id,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )
