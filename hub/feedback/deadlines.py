"""Deadlines of feedback: a sweep reminds a case's director a working day before a deadline and
escalates to the team leads once it has passed. Each obligation is reminded and escalated at
most once, whoever runs the sweep: the marking statements decide, not the sweeper."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub import labels
from hub.feedback import store
from hub.feedback.agreements import calendar
from hub.platform.clock import local_day
from hub.platform.mail import Mail, compose, queue_mail

if TYPE_CHECKING:
    import asyncpg

REMINDER = "deadline_reminder"
PASSED = "deadline_passed"


async def sweep(pool: asyncpg.Pool, now: datetime, public_url: str) -> tuple[int, int]:
    """Mark what is due for a reminder or an escalation, and mail about it, in one transaction;
    returns how many obligations were reminded and escalated."""
    today = local_day(now)
    async with pool.acquire() as conn, conn.transaction():
        days = await calendar(conn)
        # Due by the end of the next working day: remind now.
        reminded = await store.mark_reminded(conn, now, today, days.add(today, 1))
        escalated = await store.mark_escalated(conn, now, today)
        cases = {
            row["id"]: row
            for row in await store.case_contacts(
                conn, sorted({row["case_id"] for row in [*reminded, *escalated]})
            )
        }
        reminders: list[Mail] = []
        for row in reminded:
            case = cases[row["case_id"]]
            recipient = case["director_email"] or case["team_email"]
            if recipient:
                reminders.append(
                    compose(
                        REMINDER,
                        recipient,
                        team=case["team"],
                        step=labels.STEP[row["step"]],
                        due_on=row["due_on"],
                        case_id=row["case_id"],
                        public_url=public_url,
                    )
                )
        escalations = [
            compose(
                PASSED,
                lead,
                team=cases[row["case_id"]]["team"],
                step=labels.STEP[row["step"]],
                due_on=row["due_on"],
                case_id=row["case_id"],
                public_url=public_url,
            )
            for row in escalated
            for lead in cases[row["case_id"]]["lead_emails"]
        ]
        await queue_mail(conn, REMINDER, reminders)
        await queue_mail(conn, PASSED, escalations)
    return len(reminded), len(escalated)
