"""Feedback agreements, obligations, partners' webhooks and the feedback outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.store import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime
    from uuid import UUID

    import asyncpg


async def agreements(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select id, partner_id, partner_kind, team_id, step, working_days, valid_from, valid_to "
        "from feedback_agreements order by id"
    )


async def add_agreement(conn: Connection, **values: Any) -> int:
    agreement_id: int = await conn.fetchval(
        """
        insert into feedback_agreements (partner_id, partner_kind, team_id, step, working_days,
                                         valid_from, valid_to)
        values ($1, $2, $3, $4, $5, $6, $7) returning id
        """,
        values.get("partner_id"),
        values.get("partner_kind"),
        values.get("team_id"),
        values["step"],
        values.get("working_days"),
        values.get("valid_from"),
        values.get("valid_to"),
    )
    return agreement_id


async def non_working_days(conn: Connection) -> list[date]:
    return [row["day"] for row in await conn.fetch("select day from non_working_days")]


async def add_obligations(
    conn: Connection, rows: Sequence[tuple[UUID, str, int, date | None]]
) -> None:
    """(signal_id, step, agreement_id, due_on) each; a signal has one obligation per step."""
    if not rows:
        return
    await conn.execute(
        """
        insert into obligations (signal_id, step, agreement_id, due_on)
        select * from unnest($1::uuid[], $2::text[], $3::bigint[], $4::date[])
        on conflict (signal_id, step) do nothing
        """,
        [row[0] for row in rows],
        [row[1] for row in rows],
        [row[2] for row in rows],
        [row[3] for row in rows],
    )


async def meet(
    conn: Connection, signal_ids: Sequence[UUID], steps: Sequence[str], at: datetime
) -> None:
    await conn.execute(
        "update obligations set met_at = $3 "
        "where signal_id = any($1::uuid[]) and step = any($2::text[]) and met_at is null",
        list(signal_ids),
        list(steps),
        at,
    )


async def queue_feedback(
    conn: Connection, signal_ids: Sequence[UUID], step: str, outcome: str | None, at: datetime
) -> None:
    """Feedback for each signal whose partner takes webhooks: the step, never the team's work."""
    if not signal_ids:
        return
    await conn.execute(
        """
        insert into feedback_outbox (signal_id, partner_id, step, payload)
        select s.id, s.partner_id, $2,
               jsonb_build_object('signal_id', s.id, 'external_ref', s.external_ref,
                                  'step', $2::text, 'at', $4::timestamptz, 'status', s.status,
                                  'outcome', $3::text)
        from signals s join partner_webhooks w on w.partner_id = s.partner_id
        where s.id = any($1::uuid[])
        """,
        list(signal_ids),
        step,
        outcome,
        at,
    )


async def set_webhook(conn: Connection, partner_id: UUID, url: str, secret: str) -> None:
    await conn.execute(
        """
        insert into partner_webhooks (partner_id, url, secret) values ($1, $2, $3)
        on conflict (partner_id) do update set url = excluded.url, secret = excluded.secret
        """,
        partner_id,
        url,
        secret,
    )


async def lease_due_deliveries(
    conn: Connection, now: datetime, limit: int, lease_seconds: int
) -> list[asyncpg.Record]:
    """Claim due deliveries for a while, so two senders never send the same one at once."""
    return await conn.fetch(
        """
        update feedback_outbox o
        set next_attempt_at = $1 + make_interval(secs => $3)
        from partner_webhooks w
        where o.id in (
            select id from feedback_outbox
            where delivered_at is null and dead_at is null and next_attempt_at <= $1
            order by next_attempt_at limit $2
            for update skip locked
        ) and w.partner_id = o.partner_id
        returning o.id, o.payload, o.attempts, w.url, w.secret
        """,
        now,
        limit,
        lease_seconds,
    )


async def delivered(conn: Connection, delivery_id: int, at: datetime) -> None:
    await conn.execute(
        "update feedback_outbox set delivered_at = $2, attempts = attempts + 1, last_error = null "
        "where id = $1",
        delivery_id,
        at,
    )


async def failed(
    conn: Connection, delivery_id: int, error: str, retry_at: datetime | None, at: datetime
) -> None:
    """Count a failed attempt: retry at `retry_at`, or (None) give up: dead letter."""
    await conn.execute(
        """
        update feedback_outbox set attempts = attempts + 1, last_error = $2,
            next_attempt_at = coalesce($3, next_attempt_at),
            dead_at = case when $3::timestamptz is null then $4::timestamptz end
        where id = $1
        """,
        delivery_id,
        error,
        retry_at,
        at,
    )


async def dead_letters(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        select o.id, p.name as partner, o.step, o.attempts, o.last_error, o.dead_at
        from feedback_outbox o join partners p on p.id = o.partner_id
        where o.dead_at is not null order by o.dead_at
        """
    )


async def retry_dead(conn: Connection, delivery_id: int, now: datetime) -> bool:
    status = await conn.execute(
        "update feedback_outbox set dead_at = null, attempts = 0, next_attempt_at = $2 "
        "where id = $1 and dead_at is not null",
        delivery_id,
        now,
    )
    return status != "UPDATE 0"
