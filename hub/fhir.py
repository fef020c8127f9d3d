"""FHIR referrals: a ServiceRequest becomes a signal through the same intake; a Task tracks it.

The Task's id is the signal's id; its status is derived from the signal (and, once cases exist,
from the work on the case), following the Gravity Project SDOH closed-loop referral pattern:
requested -> accepted -> in-progress -> completed, or rejected / cancelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.fhir import DEFAULT_KIND_CODES, Referral, task_for
from hub.errors import Conflict, InvalidFields, NotFound
from hub.intake import DEFAULT_POLICY, IntakePolicy, kind_error, store_signals
from hub.metrics import record_intake
from schemas.signals import SignalKind, SignalStatus

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.store import Connection
    from hub.store.partners import Partner


# Task.status and business status per signal status (Gravity SDOH closed-loop referral).
TASK_STATUS = {
    SignalStatus.ROUTED: ("requested", "Ontvangen en doorgestuurd naar het wijkteam"),
    SignalStatus.UNROUTED: ("requested", "Ontvangen; de coördinator wijst een wijkteam toe"),
    SignalStatus.RETURNED: ("requested", "Ontvangen; de coördinator wijst een wijkteam toe"),
    SignalStatus.ACCEPTED: ("accepted", "Opgepakt door het wijkteam"),
    SignalStatus.IN_CONTACT: ("in-progress", "Het wijkteam zoekt of heeft contact"),
    SignalStatus.CLOSED: ("completed", "Afgerond door het wijkteam"),
    SignalStatus.DECLINED: ("rejected", "Niet opgepakt door het wijkteam"),
}


async def kind_codes(conn: Connection) -> dict[tuple[str, str], SignalKind]:
    """Our own code system, plus what administrators mapped (theirs win)."""
    codes = dict(DEFAULT_KIND_CODES)
    for row in await conn.fetch("select system, code, kind from fhir_kind_codes"):
        codes[(row["system"], row["code"])] = SignalKind(row["kind"])
    return codes


async def map_code(pool: asyncpg.Pool, system: str, code: str, kind: SignalKind) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            """
            insert into fhir_kind_codes (system, code, kind) values ($1, $2, $3)
            on conflict (system, code) do update set kind = excluded.kind
            """,
            system,
            code,
            kind.value,
        )


@dataclass(frozen=True)
class TaskResult:
    task: dict[str, Any]
    created: bool


async def submit_referral(
    pool: asyncpg.Pool,
    partner: Partner,
    referral: Referral,
    *,
    policy: IntakePolicy = DEFAULT_POLICY,
) -> TaskResult:
    started = time.monotonic()
    problem = kind_error(partner, referral.signal)
    if problem:
        raise InvalidFields(problem, errors=[{"loc": ["ServiceRequest", "code"], "msg": problem}])
    async with pool.acquire() as conn, conn.transaction():
        (result,) = await store_signals(conn, partner, [referral.signal], policy=policy)
        if isinstance(result, Conflict):
            raise Conflict(
                result.detail,
                errors=[{"loc": ["ServiceRequest", "identifier"], "msg": result.detail}],
            )
        await conn.execute(
            "update signals set fhir_focus = $2 where id = $1 and fhir_focus is null",
            result.receipt.id,
            referral.focus,
        )
        task = await _task(conn, partner, result.receipt.id)
    record_intake("fhir", partner.kind.value, [result], time.monotonic() - started)
    return TaskResult(task, result.created)


async def _task(conn: Connection, partner: Partner, signal_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        """
        select s.id, s.status, s.received_at, s.fhir_focus, s.external_ref, t.name as team,
               (select max(occurred_at) from events e where e.signal_id = s.id) as modified
        from signals s left join teams t on t.id = s.team_id
        where s.id = $1 and s.partner_id = $2
        """,
        signal_id,
        partner.id,
    )
    if row is None:
        raise NotFound("no such Task")
    status, business = TASK_STATUS[SignalStatus(row["status"])]
    if row["team"] and status == "requested":
        business = f"Ontvangen en doorgestuurd naar {row['team']}"
    return task_for(
        task_id=str(row["id"]),
        focus=row["fhir_focus"] or f"identifier:|{row['external_ref']}",
        status=status,
        business_status=business,
        owner=row["team"],
        authored_on=row["received_at"],
        last_modified=row["modified"] or row["received_at"],
    )


async def read_task(pool: asyncpg.Pool, partner: Partner, task_id: UUID) -> dict[str, Any]:
    async with pool.acquire() as conn:
        return await _task(conn, partner, task_id)
