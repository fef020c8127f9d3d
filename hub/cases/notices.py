"""Telling teams about new work: one mail per team (and per director) for what a transaction
stored, so a corporation's list of a thousand households is one mail to each team it concerns,
not a thousand. A single case is linked directly; several point to the inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.cases import store
from hub.platform.mail import compose, queue_mail

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from hub.platform.connection import Connection

NEW_CASES = "new_cases"
JOINED_CASES = "joined_cases"
SIGNAL_WITHDRAWN = "signal_withdrawn"


async def tell_about_new_signals(
    conn: Connection, created: Sequence[UUID], joined: Sequence[UUID], public_url: str
) -> None:
    """Mail the teams of newly created cases, and the directors of cases new signals joined."""
    if created:
        rows = await store.team_mail_for_cases(conn, created)
        await queue_mail(
            conn,
            NEW_CASES,
            [
                compose(
                    NEW_CASES,
                    row["email"],
                    team=row["name"],
                    cases=row["cases"],
                    public_url=public_url,
                )
                for row in rows
            ],
        )
    if joined:
        rows = await store.director_mail_for_cases(conn, joined)
        await queue_mail(
            conn,
            JOINED_CASES,
            [
                compose(JOINED_CASES, row["email"], cases=row["cases"], public_url=public_url)
                for row in rows
            ],
        )


async def tell_about_withdrawal(
    conn: Connection, case_id: UUID, *, every_signal: bool, public_url: str
) -> None:
    """Mail the case's team and director that a partner withdrew one of its signals."""
    row = await store.withdrawal_mail_for_case(conn, case_id)
    if row is None:
        return
    recipients = sorted({row["team_email"], row["director_email"]} - {None})
    await queue_mail(
        conn,
        SIGNAL_WITHDRAWN,
        [
            compose(
                SIGNAL_WITHDRAWN,
                recipient,
                team=row["team"],
                case_id=case_id,
                every_signal=every_signal,
                public_url=public_url,
            )
            for recipient in recipients
        ],
    )
