"""A partner withdraws its signal: the referral is called off (a GP's cancellation, or
`POST /api/v1/signals/{id}/withdrawal`).

Nothing is deleted. The signal is kept with the status `withdrawn`; its case stays with its
team, whose timeline says so (with the partner's reason, sealed like a note) and which is
mailed; the feedback still owed to the partner is no longer promised. A case whose every signal
is withdrawn stays open for the team to close: it may already be helping the household. A
signal withdrawn while it waited for the coordinator leaves the queue, and as no team will ever
work on it, its personal data goes at once, as for one given back as outside every area.
Withdrawing again answers the same; a signal the team has finished with cannot be withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.cases.service import on_signal_withdrawn
from hub.cases.workflow import WITHDRAWABLE
from hub.feedback.obligations import on_withdrawn
from hub.intake.reads import partner_signal
from hub.intake.service import DEFAULT_PUBLIC_URL
from hub.intake.store import withdrawals as store
from hub.platform.db import transaction_time
from hub.platform.errors import Conflict, NotFound
from hub.privacy.retention import forget_now
from schemas.signals import PartnerSignalView, SignalStatus

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.directory.models import Partner
    from hub.platform.connection import Connection


@dataclass(frozen=True)
class Withdrawal:
    signal: PartnerSignalView
    withdrawn_now: bool  # False: it had been withdrawn before


async def withdraw_signal(
    pool: asyncpg.Pool,
    partner: Partner,
    signal_id: UUID,
    reason: str | None = None,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> Withdrawal:
    """Withdraw the partner's own signal; another partner's is as absent as one never sent."""
    async with pool.acquire() as conn, conn.transaction():
        row = await store.signal_by_id(conn, partner.id, signal_id)
        if row is None:
            raise NotFound("no such signal")
        withdrawn_now = await _withdraw(conn, partner, row, reason, public_url)
    return Withdrawal(await partner_signal(pool, partner, signal_id), withdrawn_now)


async def withdraw_by_reference(
    pool: asyncpg.Pool,
    partner: Partner,
    external_ref: str,
    reason: str | None = None,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> UUID | None:
    """Withdraw the partner's signal with this reference of its own; its id, or None if the
    partner has no signal with that reference."""
    async with pool.acquire() as conn, conn.transaction():
        row = await store.signal_by_reference(conn, partner.id, external_ref)
        if row is None:
            return None
        await _withdraw(conn, partner, row, reason, public_url)
    signal_id: UUID = row["id"]
    return signal_id


async def withdraw_within(
    conn: Connection,
    partner: Partner,
    signal_id: UUID,
    reason: str | None = None,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> bool:
    """Withdraw the partner's own signal in the caller's transaction (a FHIR ServiceRequest
    called off changes with it); False if it had been withdrawn before."""
    row = await store.signal_by_id(conn, partner.id, signal_id)
    if row is None:
        raise NotFound("no such signal")
    return await _withdraw(conn, partner, row, reason, public_url)


async def _withdraw(
    conn: Connection, partner: Partner, row: asyncpg.Record, reason: str | None, public_url: str
) -> bool:
    status = SignalStatus(row["status"])
    if status is SignalStatus.WITHDRAWN:
        return False
    if status not in WITHDRAWABLE:
        raise Conflict(
            f"the signal is {status.value}: the team has finished with it, so it can no longer "
            "be withdrawn"
        )
    signal_id = row["id"]
    await store.set_withdrawn(conn, signal_id)
    # A signal in the coordinator's queue has no team (one a team returned keeps the case it
    # came from, which is that team's no longer): nobody to tell.
    case_id = row["case_id"] if row["team_id"] is not None else None
    await on_signal_withdrawn(conn, signal_id, case_id, f"partner:{partner.id}", reason, public_url)
    await on_withdrawn(conn, [signal_id])
    if row["team_id"] is None:
        await forget_now(conn, [signal_id], [row["household_id"]], await transaction_time(conn))
    return True
