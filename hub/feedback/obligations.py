"""Obligations: one promised feedback step for one signal, with its due day. Created when a
signal is stored, met by the events of its case, and each meeting tells the partner (through
the outbox, to its webhook): the step, the time, the signal's status and the outcome category,
never the team's work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hub.feedback import store
from hub.feedback.agreements import STEPS, agreements_for, calendar, load_agreements
from hub.platform.clock import local_day, today
from hub.platform.outbox import Channel, Outgoing, enqueue
from schemas.cases import RESULT_OF_OUTCOME, Outcome
from schemas.early_debt import EarlyDebtResult, SignalState, national, state_told
from schemas.signals import EARLY_DEBT_SENDERS, PromisedFeedback, SignalKind

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.connection import Connection


async def on_signals_stored(
    conn: Connection,
    signals: Sequence[tuple[UUID, UUID, str, int | None]],
    received_at: datetime,
    contact_before: Mapping[UUID, date] | None = None,
) -> None:
    """Obligations for new signals (signal, partner, partner kind, team); `received` is met at
    once and reported back. `contact_before` brings a signal's first contact forward to the
    working day before a given day (a creditor's announced cut-off or eviction), if that is
    sooner than the agreement says."""
    if not signals:
        return
    agreements = await load_agreements(conn)
    day = local_day(received_at)
    promised = [
        (signal_id, partner_id, team_id, step, agreement)
        for signal_id, partner_id, partner_kind, team_id in signals
        for step, agreement in agreements_for(
            agreements, partner_id, partner_kind, team_id, day
        ).items()
    ]
    if promised:  # the calendar only then; `received` is met as it is written
        days = await calendar(conn)
        rows = []
        for signal_id, partner_id, team_id, step, agreement in promised:
            working_days = agreement.working_days
            due = days.add(day, working_days) if working_days is not None else None
            before = (contact_before or {}).get(signal_id)
            if step == "first_contact" and before is not None:
                latest = max(days.previous(before), day)
                due = latest if due is None else min(due, latest)
            met_at = received_at if step == "received" else None
            rows.append((signal_id, step, agreement.id, due, partner_id, team_id, met_at))
        await store.add_obligations(conn, rows)
    ids = [signal[0] for signal in signals]
    await tell_partners(conn, ids, "received", None, received_at)


async def on_case_step(
    conn: Connection,
    signal_ids: Sequence[UUID],
    step: str,
    outcome: str | None,
    at: datetime,
    early_debt_result: EarlyDebtResult | None = None,
) -> None:
    """A case event meets its signals' obligations for `step` and tells the partners.

    Closing also meets an open `first_contact`: the partner hears the outcome then, and whether
    it came in time is judged by the due date.
    """
    steps = ["first_contact", "outcome"] if step == "outcome" else [step]
    await store.meet(conn, signal_ids, steps, at)
    await tell_partners(conn, signal_ids, step, outcome, at, early_debt_result)


async def on_given_back(
    conn: Connection, signal_ids: Sequence[UUID], outcome: str, at: datetime
) -> None:
    """Signals the coordinator gave back to their partners (no team will work on them): their
    outcome is told now, and a first contact that nobody will make is no longer promised."""
    await store.meet(conn, signal_ids, ["outcome"], at)
    await store.release(conn, signal_ids, ["first_contact"])
    await tell_partners(conn, signal_ids, "outcome", outcome, at)


async def on_withdrawn(conn: Connection, signal_ids: Sequence[UUID]) -> None:
    """Signals their partners withdrew: nothing is owed them any more, so the steps not yet
    taken are no longer promised (and never count as late). What was met stays met."""
    await store.release(conn, signal_ids, list(STEPS))


def creditor_feedback(
    step: str, outcome: str | None, early_debt_result: EarlyDebtResult | None
) -> dict[str, str]:
    """What a creditor hears instead of the outcome: the national signal status only (picked
    up or not, and the few reasons the national list names), never what help the resident
    got; a signal not taken up for another reason says only that."""
    if step != "outcome" or outcome is None:
        state = SignalState.TAKEN if step == "first_contact" else SignalState.NOT_YET_TAKEN
    else:
        result = early_debt_result or RESULT_OF_OUTCOME[Outcome(outcome)]
        state = state_told(result, taken=True)
    return {"early_debt_status": state.value, "early_debt_status_text": national(state)}


def is_creditor(partner_kind: str, signal_kind: str) -> bool:
    """Whether feedback goes to a creditor (or its collection system): then only the national
    signal status, whatever kind of signal it sent."""
    return signal_kind == SignalKind.PAYMENT_ARREARS.value or partner_kind in {
        kind.value for kind in EARLY_DEBT_SENDERS
    }


def _feedback(
    row: asyncpg.Record,
    step: str,
    outcome: str | None,
    at: datetime,
    early_debt_result: EarlyDebtResult | None,
) -> dict[str, Any]:
    """One webhook message: the step, the time, the signal's status, and the outcome, which a
    creditor gets as the national signal status instead."""
    message: dict[str, Any] = {
        "signal_id": str(row["id"]),
        "external_ref": row["external_ref"],
        "step": step,
        "at": at.isoformat(),
        "status": row["status"],
        "outcome": outcome,
    }
    if is_creditor(row["partner_kind"], row["kind"]):
        message["outcome"] = None
        message.update(creditor_feedback(step, outcome, early_debt_result))
    return message


async def tell_partners(
    conn: Connection,
    signal_ids: Sequence[UUID],
    step: str,
    outcome: str | None,
    at: datetime,
    early_debt_result: EarlyDebtResult | None = None,
) -> None:
    """Feedback for each signal whose partner takes webhooks, in the outbox. A creditor (an
    early-debt signal's sender) is told the national signal status instead of the outcome."""
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
                payload=_feedback(row, step, outcome, at, early_debt_result),
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
