"""One outbox for everything the hub sends: mail to teams and feedback to partners' webhooks.

A message is written in the transaction of what causes it, so it exists exactly when that
happened. A delivery run claims due messages with a lease (a crashed sender's claim runs out),
hands them to the channel's sender, and records each outcome: delivered, or a retry after an
exponential backoff with jitter, or after the last attempt a dead letter that an administrator
can retry (`hub outbox retry`, `POST /api/v1/admin/deliveries/{id}/retry`). Delivery is at
least once: a crash between sending and recording repeats a message, so receivers deduplicate
by its `delivery_id`.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hub.platform.store import outbox as store

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.connection import Connection

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)


class Channel(StrEnum):
    MAIL = "mail"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Outgoing:
    """A message to send: its topic (a feedback step, a mail's template), where it goes (a
    partner's webhook or a mail address) and its payload (the JSON body, or subject and body)."""

    topic: str
    payload: dict[str, Any]
    partner_id: UUID | None = None
    signal_id: UUID | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class Due:
    id: int
    delivery_id: str
    topic: str
    partner_id: UUID | None
    signal_id: UUID | None
    recipient: str | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class DeadLetter:
    id: int
    channel: Channel
    topic: str
    partner_id: UUID | None
    recipient: str | None
    attempts: int
    last_error: str | None
    dead_at: datetime


@dataclass(frozen=True)
class Backlog:
    waiting: int
    failing: int
    dead: int


class Skipped(Enum):
    """The outcome of a message a run did not get to: due again at once, no attempt counted."""

    NOT_TRIED = "not tried"


NOT_TRIED = Skipped.NOT_TRIED

# Sends a run's messages, one outcome each in order: None when delivered, NOT_TRIED when the run
# ended before it, else what failed (no personal data: an HTTP status or an exception's name).
Sender = Callable[[Sequence[Due]], Awaitable[Sequence[str | Skipped | None]]]


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """The wait before the next attempt after `attempts` failed ones: exponential with full
    jitter; None once the attempts are spent (a dead letter)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    ceiling: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempts - 1)))
    jitter = rng or random.Random()  # noqa: S311 - jitter, not security
    return ceiling * jitter.uniform(0.5, 1.0)


async def enqueue(conn: Connection, channel: Channel, messages: Sequence[Outgoing]) -> None:
    """Write messages in the caller's transaction."""
    await store.add(
        conn,
        channel.value,
        [(m.topic, m.partner_id, m.signal_id, m.recipient, m.payload) for m in messages],
    )


async def deliver(
    pool: asyncpg.Pool,
    channel: Channel,
    send: Sender,
    now: datetime,
    *,
    limit: int = 50,
    lease_seconds: int = 60,
    per_receiver: int | None = None,
) -> int:
    """One delivery run of a channel; returns how many messages were delivered. The lease must
    outlast the run: until it runs out no other sender takes the same messages."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.lease_due(
            conn, channel.value, now, limit, lease_seconds, per_receiver or limit
        )
    if not rows:
        return 0
    due = [Due(**dict(row)) for row in rows]
    outcomes = await send(due)
    delivered = 0
    async with pool.acquire() as conn:
        untried = [m.id for m, outcome in zip(due, outcomes, strict=True) if outcome is NOT_TRIED]
        if untried:
            await store.release(conn, untried, now)
        for message, error in zip(due, outcomes, strict=True):
            if error is NOT_TRIED:
                continue
            if error is None:
                await store.delivered(conn, message.id, now)
                delivered += 1
            else:
                wait = backoff(message.attempts + 1)
                await store.failed(conn, message.id, error, now + wait if wait else None, now)
    return delivered


async def dead_letters(pool: asyncpg.Pool) -> list[DeadLetter]:
    async with pool.acquire() as conn:
        rows = await store.dead_letters(conn)
    return [DeadLetter(**{**dict(row), "channel": Channel(row["channel"])}) for row in rows]


async def retry(pool: asyncpg.Pool, message_id: int, now: datetime) -> bool:
    """Give a dead letter its attempts again; False if there is no such dead letter."""
    async with pool.acquire() as conn:
        return await store.retry_dead(conn, message_id, now)


async def backlog(pool: asyncpg.Pool) -> dict[Channel, Backlog]:
    async with pool.acquire() as conn:
        rows = await store.backlog(conn)
    found = {
        Channel(row["channel"]): Backlog(row["waiting"], row["failing"], row["dead"])
        for row in rows
    }
    return {channel: found.get(channel, Backlog(0, 0, 0)) for channel in Channel}
