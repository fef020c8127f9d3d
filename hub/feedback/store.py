"""Feedback agreements, obligations and their deadlines, partners' webhooks, working days."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime
    from uuid import UUID

    import asyncpg


# --- agreements and the calendar ------------------------------------------------------------


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


# An agreement as people read it: with the names of whom it binds (null: everyone of that side).
_LISTED = """
    select a.id, a.partner_id, p.name as partner, p.kind as partners_kind, a.partner_kind,
           a.team_id, t.code as team_code, t.name as team, a.step, a.working_days,
           a.valid_from, a.valid_to, a.ended_at, a.replaced_by
    from feedback_agreements a
    left join partners p on p.id = a.partner_id left join teams t on t.id = a.team_id
"""


async def agreements_listed(conn: Connection) -> list[asyncpg.Record]:
    """The agreements with the names of whom they bind (null: everyone of that side)."""
    return await conn.fetch(_LISTED + " order by a.id")


async def agreement_listed(conn: Connection, agreement_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(_LISTED + " where a.id = $1", agreement_id)


async def agreements_of_scope(
    conn: Connection,
    partner_id: UUID | None,
    partner_kind: str | None,
    team_id: int | None,
    step: str,
) -> list[asyncpg.Record]:
    """The agreements that bind the same side (partner, kind or everyone; team or every team)
    for the same step."""
    return await conn.fetch(
        """
        select id, valid_from, valid_to from feedback_agreements
        where partner_id is not distinct from $1 and partner_kind is not distinct from $2
          and team_id is not distinct from $3 and step = $4
        """,
        partner_id,
        partner_kind,
        team_id,
        step,
    )


async def end_agreement(
    conn: Connection, agreement_id: int, last_day: date, replaced_by: int | None
) -> None:
    """The agreement applies no longer after `last_day`; an administrator ended it now (and
    replaced it by `replaced_by`, if it was a change)."""
    await conn.execute(
        "update feedback_agreements set valid_to = $2, ended_at = now(), replaced_by = $3 "
        "where id = $1",
        agreement_id,
        last_day,
        replaced_by,
    )


async def non_working_days(conn: Connection) -> list[date]:
    return [row["day"] for row in await conn.fetch("select day from non_working_days")]


async def add_non_working_day(conn: Connection, day: date, reason: str) -> None:
    await conn.execute(
        "insert into non_working_days (day, reason) values ($1, $2) "
        "on conflict (day) do update set reason = excluded.reason",
        day,
        reason,
    )


# --- obligations ----------------------------------------------------------------------------


async def add_obligations(
    conn: Connection,
    rows: Sequence[tuple[UUID, str, int, date | None, UUID, int | None, datetime | None]],
) -> None:
    """(signal_id, step, agreement_id, due_on, the signal's partner_id and team_id, met_at:
    when it is met as it is written) each; a signal has one obligation per step."""
    if not rows:
        return
    await conn.execute(
        """
        insert into obligations (signal_id, step, agreement_id, due_on, partner_id, team_id,
                                 met_at)
        select * from unnest($1::uuid[], $2::text[], $3::bigint[], $4::date[], $5::uuid[],
                             $6::bigint[], $7::timestamptz[])
        on conflict (signal_id, step) do nothing
        """,
        [row[0] for row in rows],
        [row[1] for row in rows],
        [row[2] for row in rows],
        [row[3] for row in rows],
        [row[4] for row in rows],
        [row[5] for row in rows],
        [row[6] for row in rows],
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


async def release(conn: Connection, signal_ids: Sequence[UUID], steps: Sequence[str]) -> None:
    """Obligations that no longer apply (not met, and never will be) are dropped."""
    await conn.execute(
        "delete from obligations "
        "where signal_id = any($1::uuid[]) and step = any($2::text[]) and met_at is null",
        list(signal_ids),
        list(steps),
    )


async def overdue_count(conn: Connection, today: date) -> int:
    count: int = await conn.fetchval(
        "select count(*) from obligations where met_at is null and due_on < $1", today
    )
    return count


async def mark_reminded(
    conn: Connection, now: datetime, due_from: date, due_to: date
) -> list[asyncpg.Record]:
    """Open obligations of cases due in [due_from, due_to] not yet reminded: mark and return."""
    return await conn.fetch(
        """
        update obligations o set reminded_at = $1
        from signals s
        where o.signal_id = s.id and o.met_at is null and o.reminded_at is null
          and o.due_on between $2 and $3 and s.case_id is not null
        returning o.id, o.step, o.due_on, s.case_id
        """,
        now,
        due_from,
        due_to,
    )


async def mark_escalated(conn: Connection, now: datetime, today: date) -> list[asyncpg.Record]:
    """Open obligations of cases past their day not yet escalated: mark and return."""
    return await conn.fetch(
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


async def case_contacts(conn: Connection, case_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Per case: its team's name and address, its director's address, its team leads'."""
    return await conn.fetch(
        """
        select c.id, t.name as team, t.email as team_email, d.email as director_email,
               array(select u.email from users u
                     where u.team_id = c.team_id and u.role = 'lead' order by u.email)
                   as lead_emails
        from cases c join teams t on t.id = c.team_id
        left join users d on d.id = c.director_id
        where c.id = any($1::uuid[])
        """,
        list(case_ids),
    )


async def compliance(conn: Connection, since: date, today: date) -> list[asyncpg.Record]:
    """Per partner, team, step and ISO week of the deadline: due, on time, late, overdue."""
    return await conn.fetch(
        """
        -- Counted by ids and the week's Monday first, named afterwards: grouping and sorting
        -- a region's deadlines by names and week texts cost most of the statement.
        with counted as (
            select o.partner_id, o.team_id, o.step,
                   date_trunc('week', o.due_on)::date as monday,
                   count(*) as due,
                   count(*) filter (where o.met_in_time) as met_on_time,
                   count(*) filter (where not o.met_in_time) as met_late,
                   count(*) filter (where o.met_in_time is null and o.due_on < $2) as overdue
            from obligations o
            where o.due_on between $1 and $2
            group by 1, 2, 3, 4
        )
        select p.name as partner, t.code as team, c.step,
               to_char(c.monday, 'IYYY-"W"IW') as week,
               c.due, c.met_on_time, c.met_late, c.overdue
        from counted c
        join partners p on p.id = c.partner_id
        left join teams t on t.id = c.team_id
        order by c.monday, p.name, t.code, c.step
        """,
        since,
        today,
    )


async def compliance_totals(conn: Connection, since: date, today: date) -> list[asyncpg.Record]:
    """The deadlines of `compliance` summed three ways in one pass: per step and ISO week
    (`kept` 3), per team (`kept` 1; team None: no team yet) and per partner (`kept` 2). A
    region's page needs these sums, not every partner's every team's every week."""
    return await conn.fetch(
        """
        -- The deadline's own partner, team and "met in time" (migration 0035): an index
        -- range and one pass of three grouping sets, no join, no time zone conversion.
        with counted as (
            select grouping(o.team_id, o.partner_id) as kept,
                   o.partner_id, o.team_id, o.step, d.monday,
                   count(*) as due,
                   count(*) filter (where o.met_in_time) as met_on_time,
                   count(*) filter (where not o.met_in_time) as met_late,
                   count(*) filter (where o.met_in_time is null and o.due_on < $2) as overdue
            from obligations o
            cross join lateral (select date_trunc('week', o.due_on)::date as monday) d
            where o.due_on between $1 and $2
            group by grouping sets ((o.step, d.monday), (o.team_id), (o.partner_id))
        )
        select c.kept, p.name as partner, t.code as team, c.step,
               to_char(c.monday, 'IYYY-"W"IW') as week,
               c.due, c.met_on_time, c.met_late, c.overdue
        from counted c
        left join partners p on p.id = c.partner_id
        left join teams t on t.id = c.team_id
        """,
        since,
        today,
    )


# --- feedback to partners -------------------------------------------------------------------


async def feedback_facts(conn: Connection, signal_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The signals whose partner takes feedback by webhook, with what the feedback tells."""
    return await conn.fetch(
        """
        select s.id, s.partner_id, s.external_ref, s.status, s.kind,
               (select p.kind from partners p where p.id = s.partner_id) as partner_kind
        from signals s join partner_webhooks w on w.partner_id = s.partner_id
        where s.id = any($1::uuid[])
        order by s.received_at, s.id
        """,
        list(signal_ids),
    )


async def promised(conn: Connection, signal_id: UUID) -> list[asyncpg.Record]:
    """A signal's obligations in the order of their steps, each with when its webhook message
    (if the partner takes those) was delivered."""
    return await conn.fetch(
        """
        select o.step, o.due_on, o.met_at,
               (select max(x.delivered_at) from outbox x where x.channel = 'webhook'
                and x.signal_id = o.signal_id and x.topic = o.step) as delivered_at
        from obligations o where o.signal_id = $1
        order by array_position(array['received', 'first_contact', 'outcome'], o.step)
        """,
        signal_id,
    )


async def set_webhook(conn: Connection, partner_id: UUID, url: str, secret_sealed: bytes) -> None:
    await conn.execute(
        """
        insert into partner_webhooks (partner_id, url, secret_sealed) values ($1, $2, $3)
        on conflict (partner_id) do update
            set url = excluded.url, secret = null, secret_sealed = excluded.secret_sealed
        """,
        partner_id,
        url,
        secret_sealed,
    )


async def webhooks(conn: Connection, partner_ids: Sequence[UUID]) -> dict[UUID, tuple[str, bytes]]:
    """Per partner: its webhook's URL and sealed signing secret."""
    rows = await conn.fetch(
        "select partner_id, url, secret_sealed from partner_webhooks "
        "where partner_id = any($1::uuid[]) and secret_sealed is not null",
        list(partner_ids),
    )
    return {row["partner_id"]: (row["url"], bytes(row["secret_sealed"])) for row in rows}
