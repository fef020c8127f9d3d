"""Counts for the partner network (never a person or a household), and its daily snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from graphs.network import FLOW_COLUMNS, FlowTable
from hub.platform.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    import asyncpg


async def teams(
    conn: Connection, municipality: str | None, team: str | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select code, name, municipality from teams "
        "where ($1::text is null or municipality = $1) and ($2::text is null or code = $2) "
        "order by code",
        municipality,
        team,
    )


async def partners(conn: Connection, kind: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select id::text, name, kind from partners where ($1::text is null or kind = $1) "
        "order by name",
        kind,
    )


async def flows(
    conn: Connection,
    start: datetime,
    end: datetime,
    before_start: datetime,
    first_day: date,
    last_day: date,
) -> FlowTable:
    """Per partner and team: signals in [start, end) and in [before_start, start), feedback
    deadlines in [first_day, last_day] and how many were met on time, and whether any
    agreement covers the pair. As columns, one array each from the query: a national network
    has half a million pairs, and a record per pair costs more than the analysis of them."""
    row = await conn.fetchrow(
        """
        with counted as (
            select s.partner_id, s.team_id,
                   count(*) filter (where s.received_at >= $1 and s.received_at < $2) as now,
                   count(*) filter (where s.received_at >= $3 and s.received_at < $1) as before
            from signals s where s.team_id is not null and s.received_at >= $3
              and s.received_at < $2
            group by 1, 2
        ), kept as (
            select o.partner_id, o.team_id, count(*) as due,
                   count(*) filter (where o.met_in_time) as on_time
            from obligations o
            where o.due_on >= $4 and o.due_on <= $5 and o.step <> 'received'
              and o.team_id is not null
            group by 1, 2
        )
        , pairs as (
            select c.partner_id::text as partner, t.code as team, c.now::int, c.before::int,
                   coalesce(k.due, 0)::int as due, coalesce(k.on_time, 0)::int as on_time,
                   exists (select 1 from feedback_agreements a
                           where (a.partner_id is null or a.partner_id = c.partner_id)
                             and (a.partner_kind is null or a.partner_kind = p.kind)
                             and (a.team_id is null or a.team_id = c.team_id)
                             -- in force at some time in the period (an ended one no longer
                             -- counts)
                             and (a.valid_from is null or a.valid_from <= $5)
                             and (a.valid_to is null or a.valid_to >= $4)) as agreement
            from counted c join teams t on t.id = c.team_id
            join partners p on p.id = c.partner_id
            left join kept k on k.partner_id = c.partner_id and k.team_id = c.team_id
        )
        select coalesce(array_agg(partner), '{}') as partner,
               coalesce(array_agg(team), '{}') as team,
               coalesce(array_agg(now), '{}') as count,
               coalesce(array_agg(before), '{}') as previous,
               coalesce(array_agg(agreement), '{}') as agreement,
               coalesce(array_agg(due), '{}') as due,
               coalesce(array_agg(on_time), '{}') as on_time
        from pairs
        """,
        start,
        end,
        before_start,
        first_day,
        last_day,
    )
    # An aggregate without `group by` gives one row, whatever it found.
    return FlowTable(**{name: list(cast("asyncpg.Record", row)[name]) for name in FLOW_COLUMNS})


async def cosignals(conn: Connection, start: datetime, end: datetime) -> list[asyncpg.Record]:
    """Per pair of partners: how many households both signalled in [start, end)."""
    return await conn.fetch(
        """
        with pairs as (
            select distinct a.household_id, a.partner_id as pa, b.partner_id as pb
            from signals a join signals b
              on a.household_id = b.household_id and a.partner_id < b.partner_id
            where a.received_at >= $1 and a.received_at < $2
              and b.received_at >= $1 and b.received_at < $2
        )
        select pa::text, pb::text, count(*) as households from pairs group by 1, 2
        """,
        start,
        end,
    )


async def replace_snapshot(
    conn: Connection, day: date, rows: Sequence[tuple[date, str, str, str, dict[str, Any]]]
) -> None:
    """The day's figures per link, replacing any taken before that day (idempotent)."""
    await conn.execute("delete from network_snapshots where day = $1", day)
    await conn.executemany(
        "insert into network_snapshots (day, node_a, node_b, relation, figures) "
        "values ($1, $2, $3, $4, $5)",
        rows,
    )


async def oldest_snapshots(conn: Connection, since: date, before: date) -> list[asyncpg.Record]:
    """Per link, its oldest snapshot in [since, before)."""
    return await conn.fetch(
        """
        select distinct on (node_a, node_b) node_a, node_b, day, figures
        from network_snapshots where day >= $1 and day < $2
        order by node_a, node_b, day
        """,
        since,
        before,
    )


async def replace_report(
    conn: Connection,
    head: dict[str, Any],
    links: Sequence[tuple[str, str | None, str | None, str | None, str | None, Any, float]],
    keep_since: date,
) -> None:
    """The day's report (its head and its weak links in the order shown, 1-based), replacing
    any report of that day; reports before `keep_since` go."""
    await conn.execute(
        "delete from network_reports where day = $1 or day < $2", head["day"], keep_since
    )
    await conn.execute(
        """
        insert into network_reports
            (day, period_start, period_end, seconds, partners, teams, edges, weak_links, by_kind)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        head["day"],
        head["period_start"],
        head["period_end"],
        head["seconds"],
        head["partners"],
        head["teams"],
        head["edges"],
        len(links),
        head["by_kind"],
    )
    columns = list(zip(*links, strict=True)) if links else [()] * 7
    await conn.execute(
        """
        insert into network_report_links
            (day, place, kind, node_a, node_b, label_a, label_b, evidence, severity)
        select $1, place, kind, node_a, node_b, label_a, label_b, evidence, severity
        from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                    $8::float8[]) with ordinality
             as l (kind, node_a, node_b, label_a, label_b, evidence, severity, place)
        """,
        head["day"],
        *[list(column) for column in columns],
    )


async def latest_report(conn: Connection) -> asyncpg.Record | None:
    return await conn.fetchrow("select * from network_reports order by day desc limit 1")


async def report_links(
    conn: Connection, day: date, kind: str | None, offset: int, limit: int
) -> list[asyncpg.Record]:
    """A page of the report's weak links in the order shown (all kinds, or one). All kinds are
    numbered 1.. in that order, so a page is a range of places (an index range scan, however
    far down); one kind skips through its own index."""
    if kind is None:
        return await conn.fetch(
            "select place, kind, node_a, node_b, label_a, label_b, evidence, severity "
            "from network_report_links where day = $1 and place > $2 order by place limit $3",
            day,
            offset,
            limit,
        )
    return await conn.fetch(
        """
        select place, kind, node_a, node_b, label_a, label_b, evidence, severity
        from network_report_links where day = $1 and kind = $2
        -- kind first, as the index (day, kind, place) has it: otherwise the planner may walk
        -- the whole report in place order looking for a kind that sits at its end
        order by kind, place offset $3 limit $4
        """,
        day,
        kind,
        offset,
        limit,
    )


async def report_link(conn: Connection, day: date, place: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select place, kind, node_a, node_b, label_a, label_b, evidence, severity "
        "from network_report_links where day = $1 and place = $2",
        day,
        place,
    )
