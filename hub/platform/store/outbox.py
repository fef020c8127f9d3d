"""The outbox: messages written in the transaction that causes them, delivered later."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection, updated_count

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg


async def add(
    conn: Connection,
    channel: str,
    rows: Sequence[tuple[str, UUID | None, UUID | None, str | None, dict[str, Any]]],
) -> None:
    """(topic, partner_id, signal_id, recipient, payload) each, in one statement."""
    if not rows:
        return
    await conn.execute(
        """
        insert into outbox (channel, topic, partner_id, signal_id, recipient, payload)
        select $1, r.topic, r.partner_id, r.signal_id, r.recipient, r.payload
        from unnest($2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[])
             as r (topic, partner_id, signal_id, recipient, payload)
        """,
        channel,
        [row[0] for row in rows],
        [row[1] for row in rows],
        [row[2] for row in rows],
        [row[3] for row in rows],
        [row[4] for row in rows],
    )


async def lease_due(
    conn: Connection,
    channel: str,
    now: datetime,
    limit: int,
    lease_seconds: int,
    per_receiver: int,
) -> list[asyncpg.Record]:
    """Claim due messages for a while (by moving their next attempt past the lease), so two
    senders never send the same one at once; at most `per_receiver` for one partner or mail
    address, so a receiver with a long queue leaves room for the others."""
    # UPDATE ... RETURNING gives its rows in no set order: a partner's messages must go out in
    # the order they were written (received, first contact, outcome), so they are sorted here.
    rows = await conn.fetch(
        """
        update outbox o
        set next_attempt_at = $2 + make_interval(secs => $4)
        where o.id in (
            select id from outbox
            where id in (
                select id from (
                    select id, next_attempt_at,
                           row_number() over (
                               partition by coalesce(partner_id::text, recipient)
                               order by next_attempt_at, id
                           ) as place
                    from outbox
                    where channel = $1 and delivered_at is null and dead_at is null
                      and next_attempt_at <= $2
                ) due
                where place <= $5
                order by next_attempt_at, id limit $3
            )
            for update skip locked
        )
        returning o.id, o.delivery_id, o.topic, o.partner_id, o.signal_id, o.recipient,
                  o.payload, o.attempts
        """,
        channel,
        now,
        limit,
        lease_seconds,
        per_receiver,
    )
    return sorted(rows, key=lambda row: row["id"])


async def release(conn: Connection, message_ids: Sequence[int], now: datetime) -> None:
    """Give back messages a run did not get to: due again at once, no attempt counted."""
    await conn.execute(
        "update outbox set next_attempt_at = $2 where id = any($1::bigint[])",
        list(message_ids),
        now,
    )


async def delivered(conn: Connection, message_id: int, at: datetime) -> None:
    await conn.execute(
        "update outbox set delivered_at = $2, attempts = attempts + 1, last_error = null "
        "where id = $1",
        message_id,
        at,
    )


async def failed(
    conn: Connection, message_id: int, error: str, retry_at: datetime | None, at: datetime
) -> None:
    """Count a failed attempt: retry at `retry_at`, or (None) give up: a dead letter."""
    await conn.execute(
        """
        update outbox set attempts = attempts + 1, last_error = $2,
            next_attempt_at = coalesce($3, next_attempt_at),
            dead_at = case when $3::timestamptz is null then $4::timestamptz end
        where id = $1
        """,
        message_id,
        error,
        retry_at,
        at,
    )


async def dead_letters(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        select id, channel, topic, partner_id, recipient, attempts, last_error, dead_at
        from outbox where dead_at is not null order by dead_at, id
        """
    )


async def retry_dead(conn: Connection, message_id: int, now: datetime) -> bool:
    status = await conn.execute(
        "update outbox set dead_at = null, attempts = 0, next_attempt_at = $2 "
        "where id = $1 and dead_at is not null",
        message_id,
        now,
    )
    return updated_count(status) > 0


async def backlog(conn: Connection) -> list[asyncpg.Record]:
    """Per channel: messages waiting, of which have failed at least once, and dead letters."""
    return await conn.fetch(
        """
        select channel,
               count(*) filter (where delivered_at is null and dead_at is null) as waiting,
               count(*) filter (where delivered_at is null and dead_at is null and attempts > 0)
                   as failing,
               count(*) filter (where dead_at is not null) as dead
        from outbox group by channel
        """
    )
