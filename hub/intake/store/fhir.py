"""FHIR referrals: codes an administrator mapped to kinds, what a Task is built from, and what
the hub keeps to serve a referral's ServiceRequest (rebuilt from its signal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
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


async def tasks(
    conn: Connection, partner_id: UUID, signal_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    """The partner's signals as their Tasks need them; another partner's are absent. A Task last
    changed when its signal's status did, or an event about the signal was added."""
    return await conn.fetch(
        """
        select s.id, s.status, s.received_at, s.fhir_focus, s.external_ref, t.name as team,
               r.signal_id is not null as has_request,
               greatest(s.status_at,
                        (select max(occurred_at) from events e where e.signal_id = s.id))
                   as modified
        from signals s
        left join teams t on t.id = s.team_id
        left join fhir_service_requests r on r.signal_id = s.id
        where s.id = any($2::uuid[]) and s.partner_id = $1
        order by s.received_at, s.id
        """,
        partner_id,
        list(signal_ids),
    )


async def keep_request(
    conn: Connection,
    signal_id: UUID,
    identifier_system: str | None,
    intent: str,
    priority: str | None,
) -> None:
    """What the signal does not hold of the ServiceRequest it came as; the first one's (sent
    again, the same referral keeps what it was first taken with)."""
    await conn.execute(
        """
        insert into fhir_service_requests (signal_id, identifier_system, intent, priority)
        values ($1, $2, $3, $4)
        on conflict (signal_id) do nothing
        """,
        signal_id,
        identifier_system,
        intent,
        priority,
    )


async def call_off_request(conn: Connection, signal_id: UUID, status: str) -> None:
    """The status the partner called its referral off with (the first such)."""
    await conn.execute(
        "update fhir_service_requests set status = $2 where signal_id = $1 and status = 'active'",
        signal_id,
        status,
    )


async def requests(
    conn: Connection, partner_id: UUID, signal_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    """The partner's ServiceRequests the hub serves, with their signals' sealed personal data
    and address (opened by the caller only when it shows them). A ServiceRequest changed last
    when it was withdrawn."""
    return await conn.fetch(
        """
        select s.id, s.status, s.external_ref, s.kind, s.urgency, s.received_at,
               s.household_id, s.personal, s.pseudonymised_at, h.address,
               r.identifier_system, r.intent, r.priority, r.status as request_status,
               (select min(e.occurred_at) from events e
                where e.signal_id = s.id and e.kind = 'withdrawn') as withdrawn_at
        from fhir_service_requests r
        join signals s on s.id = r.signal_id
        join households h on h.id = s.household_id
        where r.signal_id = any($2::uuid[]) and s.partner_id = $1
        order by s.received_at, s.id
        """,
        partner_id,
        list(signal_ids),
    )


async def requests_by_identifier(
    conn: Connection, partner_id: UUID, value: str, system: str | None, any_system: bool
) -> list[UUID]:
    """The partner's ServiceRequests with this identifier (its reference), of this system (None:
    none given) unless `any_system`."""
    rows = await conn.fetch(
        """
        select s.id
        from signals s join fhir_service_requests r on r.signal_id = s.id
        where s.partner_id = $1 and s.external_ref = $2
          and ($4 or r.identifier_system is not distinct from $3)
        """,
        partner_id,
        value,
        system,
        any_system,
    )
    return [row["id"] for row in rows]
