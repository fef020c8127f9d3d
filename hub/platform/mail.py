"""Mail from the hub: composed from templates (`hub/mail_templates`), written to the outbox in
the transaction that causes it, and sent over SMTP by a scheduled job.

A template's first line is `Subject: ...`, then an empty line, then the body. Mail says that
there is work and where, never what it is about: no names, addresses or descriptions leave the
hub this way, and templates get only facts that hold none.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2

from hub.platform.outbox import Channel, Due, Outgoing, deliver, enqueue

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.config import Settings
    from hub.platform.connection import Connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    body: str
    # A mail that carries a secret (a personal link) is queued without it: its body holds a slot
    # and `fill` what the domain that wrote it needs to fill the slot in as the mail is sent
    # (a finisher for its topic, given to `deliver_mail`), so the outbox never holds the secret.
    fill: dict[str, str] | None = None


# Fills in a queued mail's secret: the body to send.
Finisher = Callable[[Due], str]


@cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("hub", "mail_templates"),
        autoescape=False,  # noqa: S701 - plain-text mail, never HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["date_nl"] = lambda day: day.strftime("%d-%m-%Y")
    return environment


def compose(template: str, recipient: str, **facts: Any) -> Mail:
    """The mail `template` (a file in `hub/mail_templates`, without `.txt`) for `facts`."""
    text = _templates().get_template(f"{template}.txt").render(**facts)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"mail template {template} does not start with 'Subject: '")
    return Mail(recipient, head.removeprefix("Subject: ").strip(), body)


async def queue_mail(conn: Connection, template: str, mails: Sequence[Mail]) -> None:
    """Put mails in the outbox, in the caller's transaction."""
    await enqueue(
        conn,
        Channel.MAIL,
        [
            Outgoing(
                template,
                {"subject": m.subject, "body": m.body} | ({"fill": m.fill} if m.fill else {}),
                recipient=m.recipient,
            )
            for m in mails
        ],
    )


def _send(settings: Settings, recipient: str, subject: str, body: str) -> None:
    if settings.smtp_host is None:
        raise RuntimeError("no SMTP server configured")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


class NoFinisher(LookupError):
    """A queued mail's secret cannot be filled in by this sender: it stays queued."""


def _body(message: Due, finishers: Mapping[str, Finisher]) -> str:
    if "fill" not in message.payload:
        return str(message.payload["body"])
    finish = finishers.get(message.topic)
    if finish is None:
        raise NoFinisher(message.topic)
    return finish(message)


async def deliver_mail(
    pool: asyncpg.Pool,
    settings: Settings,
    now: datetime,
    finishers: Mapping[str, Finisher] | None = None,
) -> int:
    """Send the mail that is due; returns how many were sent. `finishers` fill in, per topic,
    the secrets mails were queued without."""

    async def send(due: Sequence[Due]) -> list[str | None]:
        outcomes: list[str | None] = []
        for message in due:
            try:
                await asyncio.to_thread(
                    _send,
                    settings,
                    message.recipient or "",
                    str(message.payload["subject"]),
                    _body(message, finishers or {}),
                )
            except (OSError, smtplib.SMTPException, LookupError, ValueError) as error:
                log.warning("mail %s not sent: %s", message.id, type(error).__name__)
                outcomes.append(type(error).__name__)
            else:
                outcomes.append(None)
        return outcomes

    return await deliver(pool, Channel.MAIL, send, now)
