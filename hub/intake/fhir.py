"""FHIR referrals: a ServiceRequest becomes a signal through the same intake; a Task tracks it.

The Task's id is the signal's id; its status follows the signal's, as the case vocabulary says
(`hub.cases.workflow.TASK_STATUS`, the Gravity Project SDOH closed-loop referral pattern), and its
business status is the same Dutch text a partner reads on its own pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.fhir import DEFAULT_KIND_CODES, Referral, task_for
from hub import labels
from hub.cases.workflow import TASK_STATUS
from hub.intake.service import (
    DEFAULT_POLICY,
    DEFAULT_PUBLIC_URL,
    IntakePolicy,
    record_intake,
    store_signals,
)
from hub.intake.store import fhir as store
from hub.platform.errors import Conflict, InvalidFields, NotFound
from schemas.signals import SignalKind, SignalStatus

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.directory.models import Partner
    from hub.platform.connection import Connection


async def kind_codes(pool: asyncpg.Pool) -> dict[tuple[str, str], SignalKind]:
    """Our own code system, plus what administrators mapped (theirs win)."""
    codes = dict(DEFAULT_KIND_CODES)
    async with pool.acquire() as conn:
        for row in await store.mapped_codes(conn):
            codes[(row["system"], row["code"])] = SignalKind(row["kind"])
    return codes


async def map_code(pool: asyncpg.Pool, system: str, code: str, kind: SignalKind) -> None:
    async with pool.acquire() as conn:
        await store.map_code(conn, system, code, kind.value)


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
    public_url: str = DEFAULT_PUBLIC_URL,
) -> TaskResult:
    """Store the referral's signal; its refusal names the FHIR element at fault."""
    started = time.monotonic()
    async with pool.acquire() as conn, conn.transaction():
        (result,) = await store_signals(
            conn, partner, [referral.signal], policy=policy, public_url=public_url
        )
        if isinstance(result, InvalidFields):
            raise InvalidFields(
                result.detail,
                errors=[{"loc": ["ServiceRequest", "code"], "msg": result.detail}],
            )
        if isinstance(result, Conflict):
            raise Conflict(
                result.detail,
                errors=[{"loc": ["ServiceRequest", "identifier"], "msg": result.detail}],
            )
        await store.set_focus(conn, result.receipt.id, referral.focus)
        task = await _task(conn, partner, result.receipt.id)
    record_intake("fhir", partner.kind, [result], time.monotonic() - started)
    return TaskResult(task, result.created)


async def _task(conn: Connection, partner: Partner, signal_id: UUID) -> dict[str, Any]:
    row = await store.task_facts(conn, partner.id, signal_id)
    if row is None:
        raise NotFound("no such Task")
    status = SignalStatus(row["status"])
    return task_for(
        task_id=str(row["id"]),
        focus=row["fhir_focus"] or f"identifier:|{row['external_ref']}",
        status=TASK_STATUS[status],
        business_status=labels.signal_status(status, row["team"]),
        owner=row["team"],
        authored_on=row["received_at"],
        last_modified=row["modified"] or row["received_at"],
    )


async def read_task(pool: asyncpg.Pool, partner: Partner, task_id: UUID) -> dict[str, Any]:
    async with pool.acquire() as conn:
        return await _task(conn, partner, task_id)
