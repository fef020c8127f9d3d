"""Obligations: one promised feedback step for one signal, with its due day. Created when a
signal is stored, met by the events of its case, and each meeting tells the partner (through
the outbox, to its webhook): the step, the time, the signal's status and the outcome category,
never the team's work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from hub.feedback import store
from hub.feedback.agreements import agreements_for, calendar, load_agreements
from hub.platform.clock import local_day, today
from hub.platform.outbox import Channel, Outgoing, enqueue
from schemas.signals import PromisedFeedback

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.connection import Connection


async def on_signals_stored(
    conn: Connection,
    signals: Sequence[tuple[UUID, UUID, str, int | None]],
    received_at: datetime,
) -> None:
    """Obligations for new signals (signal, partner, partner kind, team); `received` is met at
    once and reported back."""
    if not signals:
        return
    agreements = await load_agreements(conn)
    days = await calendar(conn)
    day = local_day(received_at)
    rows = []
    for signal_id, partner_id, partner_kind, team_id in signals:
        for step, agreement in agreements_for(
            agreements, partner_id, partner_kind, team_id, day
        ).items():
            due = (
                days.add(day, agreement.working_days)
                if agreement.working_days is not None
                else None
            )
            rows.append((signal_id, step, agreement.id, due))
    await store.add_obligations(conn, rows)
    ids = [signal[0] for signal in signals]
    await store.meet(conn, ids, ["received"], received_at)
    await tell_partners(conn, ids, "received", None, received_at)


async def on_case_step(
    conn: Connection, signal_ids: Sequence[UUID], step: str, outcome: str | None, at: datetime
) -> None:
    """A case event meets its signals' obligations for `step` and tells the partners.

    Closing also meets an open `first_contact`: the partner hears the outcome then, and whether
    it came in time is judged by the due date.
    """
    steps = ["first_contact", "outcome"] if step == "outcome" else [step]
    await store.meet(conn, signal_ids, steps, at)
    await tell_partners(conn, signal_ids, step, outcome, at)


async def on_given_back(
    conn: Connection, signal_ids: Sequence[UUID], outcome: str, at: datetime
) -> None:
    """Signals the coordinator gave back to their partners (no team will work on them): their
    outcome is told now, and a first contact that nobody will make is no longer promised."""
    await store.meet(conn, signal_ids, ["outcome"], at)
    await store.release(conn, signal_ids, ["first_contact"])
    await tell_partners(conn, signal_ids, "outcome", outcome, at)


async def tell_partners(
    conn: Connection, signal_ids: Sequence[UUID], step: str, outcome: str | None, at: datetime
) -> None:
    """Feedback for each signal whose partner takes webhooks, in the outbox."""
    if not signal_ids:
        return
    facts = await store.feedback_facts(conn, signal_ids)
    await enqueue(
        conn,
        Channel.WEBHOOK,
        [
            Outgoing(
                topic=step,
                partner_id=row["partner_id"],
                signal_id=row["id"],
                payload={
                    "signal_id": str(row["id"]),
                    "external_ref": row["external_ref"],
                    "step": step,
                    "at": at.isoformat(),
                    "status": row["status"],
                    "outcome": outcome,
                },
            )
            for row in facts
        ],
    )


async def promised_feedback(conn: Connection, signal_id: UUID) -> list[PromisedFeedback]:
    """What the agreements promised the partner of this signal, and what happened when."""
    feedback = []
    for row in await store.promised(conn, signal_id):
        due, met = row["due_on"], row["met_at"]
        late = due is not None and (local_day(met) > due if met else today() > due)
        feedback.append(
            PromisedFeedback(
                step=row["step"],
                due_on=due,
                met_at=met,
                late=late,
                delivered_at=row["delivered_at"],
            )
        )
    return feedback


async def overdue_count(pool: asyncpg.Pool, at: datetime) -> int:
    """Obligations past their day and not met."""
    async with pool.acquire() as conn:
        return await store.overdue_count(conn, local_day(at))
