"""Mail from the hub: written to an outbox in the transaction that causes it, sent by a job.

Mail says that there is work and where, never what it is about: no names, addresses or
descriptions leave the hub this way.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

    from hub.config import Settings
    from hub.store import Connection

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


async def mail_for_new_signals(
    conn: Connection, opened: Sequence[UUID], joined: Sequence[UUID], public_url: str
) -> None:
    """Tell a team about its new cases, and a director about signals joining their cases: one
    mail per team (and per director) for everything one transaction stored, so a corporation's
    list of a thousand rows is one mail to each team it concerns, not a thousand. A single case
    is linked directly; several point to the inbox."""
    if opened:
        await conn.execute(
            """
            insert into mail_outbox (recipient, subject, body)
            select t.email,
                   case when count(*) = 1 then 'Nieuw signaal voor ' || t.name
                        else count(*) || ' nieuwe signalen voor ' || t.name end,
                   case when count(*) = 1
                        then 'Er is een nieuw signaal voor ' || t.name || E'.\n\n'
                             || 'Bekijk het in de signaalhub: ' || $2 || '/inbox/zaken/'
                             || min(c.id::text) || E'\n'
                        else 'Er zijn ' || count(*) || ' nieuwe signalen voor ' || t.name
                             || E'.\n\n' || 'Bekijk ze in de signaalhub: ' || $2 || E'/inbox\n'
                   end
            from cases c join teams t on t.id = c.team_id
            where c.id = any($1::uuid[]) and t.email is not null
            group by t.id, t.email, t.name
            order by t.id
            """,
            list(opened),
            public_url,
        )
    if joined:
        await conn.execute(
            """
            insert into mail_outbox (recipient, subject, body)
            select u.email,
                   case when count(*) = 1 then 'Nieuw signaal bij uw zaak'
                        else 'Nieuwe signalen bij ' || count(*) || ' van uw zaken' end,
                   case when count(*) = 1
                        then E'Er is een nieuw signaal bij een zaak waarvan u regisseur bent.\n\n'
                             || 'Bekijk het in de signaalhub: ' || $2 || '/inbox/zaken/'
                             || min(c.id::text) || E'\n'
                        else 'Er zijn nieuwe signalen bij ' || count(*)
                             || E' zaken waarvan u regisseur bent.\n\n'
                             || 'Bekijk ze in de signaalhub: ' || $2 || E'/inbox?tab=mine\n'
                   end
            from cases c join users u on u.id = c.director_id
            where c.id = any($1::uuid[])
            group by u.id, u.email
            order by u.id
            """,
            list(joined),
            public_url,
        )


def _send(settings: Settings, recipient: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    if settings.smtp_host is None:
        raise RuntimeError("no SMTP server configured")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


async def deliver_mail(pool: asyncpg.Pool, settings: Settings, limit: int = 50) -> int:
    """Send what waits in the outbox; a failure is counted and retried on a later run."""
    async with pool.acquire() as conn:
        pending = await conn.fetch(
            "select id, recipient, subject, body from mail_outbox "
            "where sent_at is null and attempts < $1 order by id limit $2",
            MAX_ATTEMPTS,
            limit,
        )
    sent = 0
    for row in pending:
        try:
            await asyncio.to_thread(_send, settings, row["recipient"], row["subject"], row["body"])
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail %s not sent: %s", row["id"], type(error).__name__)
            async with pool.acquire() as conn:
                await conn.execute(
                    "update mail_outbox set attempts = attempts + 1, last_error = $2 where id = $1",
                    row["id"],
                    type(error).__name__,
                )
            continue
        async with pool.acquire() as conn:
            await conn.execute(
                "update mail_outbox set sent_at = now(), attempts = attempts + 1 where id = $1",
                row["id"],
            )
        sent += 1
    return sent
