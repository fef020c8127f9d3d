"""Mail leaves through a real SMTP server (aiosmtpd on loopback), by the scheduled job."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from hub.app import create_app
from hub.intake.service import store_signals, submit_signal
from hub.platform.config import Settings
from hub.platform.mail import deliver_mail
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import OOST, make_partner, make_signal, signal_from
from tests.support.outbox import queued_mail
from tests.support.servers import free_port


class Inbox:
    """What the SMTP server received; aiosmtpd runs it in a thread of its own."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_new_case_mail_reaches_the_team(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    async with haarlem.acquire() as conn:
        await conn.execute("update teams set email = 'oost@example.invalid' where code = $1", OOST)
    live = settings.model_copy(
        update={
            "scheduler": True,
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "mail_poll_seconds": 0.2,
            "public_url": "https://hub.example",
        }
    )
    async with TestClient(TestServer(create_app(live, dsn))):
        gp, _ = await make_partner(haarlem, PartnerKind.GP)
        await submit_signal(
            haarlem,
            gp,
            SignalIn.model_validate(make_signal(address={"postcode": "2031AA", "house_number": 1})),
            public_url="https://hub.example",
        )
        assert await asyncio.to_thread(inbox.arrived.wait, 10), "no mail arrived"
        for _ in range(50):  # the job marks the mail sent once the server said 250
            waiting = sum(1 for mail in await queued_mail(haarlem) if mail["delivered_at"] is None)
            if waiting == 0:
                break
            await asyncio.sleep(0.1)
    (message,) = inbox.messages
    assert message["To"] == "oost@example.invalid"
    assert message["Subject"] == "Nieuw signaal voor Sociaal Wijkteam Oost"
    body = message.get_payload()
    assert "https://hub.example/inbox/zaken/" in body
    assert "de Vries" not in body
    assert "2031" not in body
    assert waiting == 0


async def test_unreachable_server_leaves_mail_waiting(
    haarlem: asyncpg.Pool, settings: Settings
) -> None:
    async with haarlem.acquire() as conn:
        await conn.execute("update teams set email = 'oost@example.invalid' where code = $1", OOST)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    await signal_from(haarlem, gp)
    closed = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port()})
    assert await deliver_mail(haarlem, closed, datetime.now(UTC)) == 0
    (row,) = await queued_mail(haarlem)
    assert (row["attempts"], row["delivered_at"]) == (1, None)
    assert row["last_error"] == "ConnectionRefusedError"


async def test_a_burst_is_one_mail_per_team(haarlem: asyncpg.Pool) -> None:
    """A corporation's list of many households is one mail to each team it concerns, pointing
    to the inbox; a team with one new case still gets the case's own link."""
    async with haarlem.acquire() as conn:
        await conn.execute("update teams set email = lower(code) || '@example.invalid'")
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    rows = [
        SignalIn.model_validate(
            make_signal(
                kind="rent_arrears",
                arrears={"amount_eur": "1200.00", "since": "2026-06-01"},
                address={"postcode": "2031AA", "house_number": n + 1},
            )
        )
        for n in range(5)
    ]
    rows.append(
        SignalIn.model_validate(
            make_signal(
                kind="rent_arrears",
                arrears={"amount_eur": "900.00", "since": "2026-06-01"},
                address={"postcode": "2011AB", "house_number": 1},
            )
        )
    )
    async with haarlem.acquire() as conn, conn.transaction():
        await store_signals(conn, housing, rows, public_url="https://hub.x")
    mails = await queued_mail(haarlem)
    by_recipient = {mail["recipient"]: mail for mail in mails}
    assert len(mails) == 2
    oost = by_recipient["swt-hlm-oost@example.invalid"]
    assert oost["subject"] == "5 nieuwe signalen voor Sociaal Wijkteam Oost"
    assert oost["body"].endswith("https://hub.x/inbox\n")
    centrum = by_recipient["swt-hlm-centrum@example.invalid"]
    assert centrum["subject"].startswith("Nieuw signaal voor ")
    assert "https://hub.x/inbox/zaken/" in centrum["body"]
    for mail in mails:
        assert "de Vries" not in mail["body"]
        assert "2031" not in mail["body"]
