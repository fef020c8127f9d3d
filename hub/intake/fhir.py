"""FHIR referrals: a ServiceRequest or a document becomes a signal through the same intake; a
Task tracks it; a cancelling document withdraws it.

The Task's id is the signal's id; its status follows the signal's, as the case vocabulary says
(`hub.cases.workflow.TASK_STATUS`, the Gravity Project SDOH closed-loop referral pattern), and its
business status is the same Dutch text a partner reads on its own pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.fhir import DEFAULT_KIND_CODES, Cancellation, KindCodes, Referral, task_for
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
from hub.intake.withdrawal import withdraw_by_reference
from hub.platform.errors import Conflict, InvalidFields, NotFound
from schemas.signals import SignalKind, SignalStatus, default_kind, kinds_for

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.directory.models import Partner
    from hub.platform.connection import Connection


async def kind_codes(pool: asyncpg.Pool, partner: Partner) -> KindCodes:
    """How the partner's codes become kinds: our own code system plus what administrators
    mapped (theirs win), then the shipped social-care table where the partner may send its
    kind, else the partner kind's default kind."""
    chosen = dict(DEFAULT_KIND_CODES)
    async with pool.acquire() as conn:
        for row in await store.mapped_codes(conn):
            chosen[(row["system"], row["code"])] = SignalKind(row["kind"])
    return KindCodes(
        chosen=chosen, allowed=kinds_for(partner.kind), fallback=default_kind(partner.kind)
    )


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
                errors=[{"loc": referral.kind_at.split("."), "msg": result.detail}],
            )
        if isinstance(result, Conflict):
            raise Conflict(
                result.detail,
                errors=[{"loc": referral.reference_at.split("."), "msg": result.detail}],
            )
        await store.set_focus(conn, result.receipt.id, referral.focus)
        task = await _task(conn, partner, result.receipt.id)
    record_intake("fhir", partner.kind, [result], time.monotonic() - started)
    return TaskResult(task, result.created)


async def cancel_referral(
    pool: asyncpg.Pool,
    partner: Partner,
    cancellation: Cancellation,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> TaskResult:
    """A later document calls the partner's referral off: its signal is withdrawn (see
    `hub.intake.withdrawal`), and its Task, now cancelled, is the answer."""
    signal_id = await withdraw_by_reference(
        pool, partner, cancellation.external_ref, cancellation.reason, public_url=public_url
    )
    if signal_id is None:
        message = "no referral of yours has this number: there is nothing to cancel"
        raise InvalidFields(
            message, errors=[{"loc": ["Composition", "identifier"], "msg": message}]
        )
    return TaskResult(await read_task(pool, partner, signal_id), created=False)


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
