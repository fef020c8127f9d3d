"""The closed loop: feedback agreements become obligations with deadlines in working days;
events on the case meet them; feedback goes back to the partner through an outbox.

What a team promised a partner is chosen per step by the most specific agreement valid on the
signal's day: for this partner > for its kind > for everyone, each for this team before every
team.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import aiohttp

from hub.store import feedback as store
from hub.workdays import LOCAL_TIME, WorkingDays

if TYPE_CHECKING:
    import asyncpg

    from hub.store import Connection

log = logging.getLogger(__name__)

STEPS = ("received", "first_contact", "outcome")
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
# The same for every attempt at one message: a receiver deduplicates retries by it.
DELIVERY_HEADER = "X-Hub-Delivery"


@dataclass(frozen=True)
class Agreement:
    id: int
    partner_id: UUID | None
    partner_kind: str | None
    team_id: int | None
    step: str
    working_days: int | None
    valid_from: date | None
    valid_to: date | None

    def applies(self, partner_id: UUID, partner_kind: str, team_id: int | None, day: date) -> bool:
        return (
            (self.partner_id is None or self.partner_id == partner_id)
            and (self.partner_kind is None or self.partner_kind == partner_kind)
            and (self.team_id is None or self.team_id == team_id)
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )

    @property
    def specificity(self) -> int:
        return (4 if self.partner_id else 2 if self.partner_kind else 0) + (
            1 if self.team_id else 0
        )


def agreements_for(
    agreements: Sequence[Agreement],
    partner_id: UUID,
    partner_kind: str,
    team_id: int | None,
    day: date,
) -> dict[str, Agreement]:
    """Per step, the most specific agreement in force for this partner and team on `day`."""
    chosen: dict[str, Agreement] = {}
    for agreement in agreements:
        if not agreement.applies(partner_id, partner_kind, team_id, day):
            continue
        current = chosen.get(agreement.step)
        if current is None or agreement.specificity > current.specificity:
            chosen[agreement.step] = agreement
    return chosen


async def load_agreements(conn: Connection) -> list[Agreement]:
    return [Agreement(**dict(row)) for row in await store.agreements(conn)]


async def calendar(conn: Connection) -> WorkingDays:
    return WorkingDays(await store.non_working_days(conn))


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
    day = received_at.astimezone(LOCAL_TIME).date()
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
    await store.queue_feedback(conn, ids, "received", None, received_at)


async def on_case_step(
    conn: Connection, signal_ids: Sequence[UUID], step: str, outcome: str | None, at: datetime
) -> None:
    """A case event meets its signals' obligations for `step` and tells the partners.

    Closing also meets an open `first_contact`: the partner hears the outcome then, and whether
    it came in time is judged by the due date.
    """
    steps = ["first_contact", "outcome"] if step == "outcome" else [step]
    await store.meet(conn, signal_ids, steps, at)
    await store.queue_feedback(conn, signal_ids, step, outcome, at)


# --- delivery -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body`: the timestamp is signed, so a replay is detectable."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """Exponential backoff with full jitter; None once the attempts are spent (dead letter)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    ceiling: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempts - 1)))
    jitter = rng or random.Random()  # noqa: S311 - jitter, not security
    return ceiling * jitter.uniform(0.5, 1.0)


async def deliver_feedback(
    pool: asyncpg.Pool,
    session: aiohttp.ClientSession,
    now: datetime,
    *,
    limit: int = 50,
    timeout_seconds: float = 10,
) -> int:
    """Send due feedback to partners' webhooks; returns how many were delivered."""
    async with pool.acquire() as conn, conn.transaction():
        due = await store.lease_due_deliveries(
            conn, now, limit, lease_seconds=int(timeout_seconds) * 3
        )
    delivered = 0
    for row in due:
        body = json.dumps(row["payload"], separators=(",", ":"), sort_keys=True).encode()
        stamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(row["secret"], stamp, body),
            DELIVERY_HEADER: str(row["id"]),
        }
        error: str | None = None
        try:
            async with session.post(
                row["url"],
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout_seconds),
            ) as response:
                if response.status >= 300:
                    error = f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as failure:
            error = type(failure).__name__
        async with pool.acquire() as conn:
            if error is None:
                await store.delivered(conn, row["id"], now)
                delivered += 1
            else:
                wait = backoff(row["attempts"] + 1)
                await store.failed(conn, row["id"], error, now + wait if wait else None, now)
                log.info("feedback %s not delivered (%s)", row["id"], error)
    return delivered


# --- reminders and escalation ---------------------------------------------------------------


async def sweep(pool: asyncpg.Pool, now: datetime, public_url: str) -> tuple[int, int]:
    """Remind directors a working day before a deadline; escalate to team leads once it has
    passed. Each obligation is reminded and escalated at most once, whoever runs the sweep."""
    today = now.astimezone(LOCAL_TIME).date()
    async with pool.acquire() as conn, conn.transaction():
        days = await calendar(conn)
        reminded = await conn.fetch(
            """
            update obligations o set reminded_at = $1
            from signals s
            where o.signal_id = s.id and o.met_at is null and o.reminded_at is null
              and o.due_on between $2 and $3 and s.case_id is not null
            returning o.id, o.step, o.due_on, s.case_id
            """,
            now,
            today,
            days.add(today, 1),  # due by the end of the next working day: remind now
        )
        escalated = await conn.fetch(
            """
            update obligations o set escalated_at = $1
            from signals s
            where o.signal_id = s.id and o.met_at is null and o.escalated_at is null
              and o.due_on < $2 and s.case_id is not null
            returning o.id, o.step, o.due_on, s.case_id
            """,
            now,
            today,
        )
        for row in reminded:
            await conn.execute(
                """
                insert into mail_outbox (recipient, subject, body)
                select coalesce(d.email, t.email), 'Terugkoppeling morgen verwacht',
                       'Voor een zaak van ' || t.name || ' is de terugkoppeling aan de partner '
                       || $2 || ' uiterlijk ' || to_char($3::date, 'DD-MM-YYYY') || E'.\\n\\n'
                       || $4 || '/inbox/zaken/' || c.id || E'\\n'
                from cases c join teams t on t.id = c.team_id
                left join users d on d.id = c.director_id
                where c.id = $1 and coalesce(d.email, t.email) is not null
                """,
                row["case_id"],
                _step_nl(row["step"]),
                row["due_on"],
                public_url,
            )
        for row in escalated:
            await conn.execute(
                """
                insert into mail_outbox (recipient, subject, body)
                select u.email, 'Terugkoppeling te laat',
                       'Voor een zaak van ' || t.name || ' is de termijn voor ' || $2
                       || ' verstreken op ' || to_char($3::date, 'DD-MM-YYYY') || E'.\\n\\n'
                       || $4 || '/inbox/zaken/' || c.id || E'\\n'
                from cases c join teams t on t.id = c.team_id
                join users u on u.team_id = c.team_id and u.role = 'lead'
                where c.id = $1
                """,
                row["case_id"],
                _step_nl(row["step"]),
                row["due_on"],
                public_url,
            )
    return len(reminded), len(escalated)


def _step_nl(step: str) -> str:
    return {
        "received": "ontvangstbevestiging",
        "first_contact": "eerste contact",
        "outcome": "uitkomst",
    }.get(step, step)


# --- compliance -----------------------------------------------------------------------------


async def compliance(pool: asyncpg.Pool, now: datetime, weeks: int = 12) -> list[dict[str, Any]]:
    """Per partner, team, step and ISO week of the deadline: due, on time, late, overdue."""
    today = now.astimezone(LOCAL_TIME).date()
    since = today - timedelta(weeks=weeks)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """
            select p.name as partner, t.code as team, o.step,
                   to_char(o.due_on, 'IYYY-"W"IW') as week,
                   count(*) as due,
                   count(*) filter (where o.met_at is not null
                       and (o.met_at at time zone 'Europe/Amsterdam')::date <= o.due_on)
                       as met_on_time,
                   count(*) filter (where o.met_at is not null
                       and (o.met_at at time zone 'Europe/Amsterdam')::date > o.due_on)
                       as met_late,
                   count(*) filter (where o.met_at is null and o.due_on < $2) as overdue
            from obligations o
            join signals s on s.id = o.signal_id
            join partners p on p.id = s.partner_id
            left join teams t on t.id = s.team_id
            where o.due_on between $1 and $2
            group by 1, 2, 3, 4 order by 4, 1, 2, 3
            """,
            since,
            today,
        )
    return [dict(row) for row in rows]
