"""Cases and the coordinator's queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection
from hub.privacy.sealed import unsealed
from schemas.cases import CaseFilter

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date, datetime, timedelta
    from uuid import UUID

    import asyncpg


@dataclass(frozen=True)
class OpenCase:
    """The open case a new signal joins: its id, status and director, and whether this
    transaction created it."""

    id: UUID
    status: str
    director_id: UUID | None
    created: bool


async def open_cases_for(
    conn: Connection, wanted: Mapping[tuple[UUID, int], bool], at: datetime
) -> dict[tuple[UUID, int], OpenCase]:
    """The open case of each (household, team), opened where there is none (urgent if the
    value is True). One statement: the one-open-case index arbitrates, so the look-up never
    depends on the planner's statistics, and concurrent intakes of the same household meet
    on the same case."""
    if not wanted:
        return {}
    keys = sorted(wanted)  # one lock order for every transaction
    rows = await conn.fetch(
        """
        insert into cases (household_id, team_id, urgency, opened_at, updated_at)
        select w.household_id, w.team_id, case when w.high then 'high' else 'normal' end, $4, $4
        from unnest($1::uuid[], $2::bigint[], $3::bool[]) as w (household_id, team_id, high)
        on conflict (household_id, team_id) where closed_at is null
        do update set updated_at = excluded.updated_at
        returning id, household_id, team_id, status, director_id, xmax = 0 as created
        """,
        [household for household, _ in keys],
        [team for _, team in keys],
        [wanted[key] for key in keys],
        at,
    )
    return {
        (row["household_id"], row["team_id"]): OpenCase(
            row["id"], row["status"], row["director_id"], row["created"]
        )
        for row in rows
    }


async def drop_empty_cases(conn: Connection, case_ids: Sequence[UUID]) -> None:
    """Remove cases opened for signals that were not stored after all (a concurrent twin)."""
    if case_ids:
        await conn.execute(
            "delete from cases c where c.id = any($1::uuid[]) "
            "and not exists (select 1 from signals s where s.case_id = c.id)",
            list(case_ids),
        )


async def refresh_cases(
    conn: Connection, case_ids: Sequence[UUID], stacking_window: timedelta
) -> None:
    """Stacking (two or more partners signalled the household in the last `stacking_window`,
    whether or not an earlier case of it was closed meanwhile) and urgency (of the case's own
    signals) follow the signals."""
    if not case_ids:
        return
    await conn.execute(
        """
        update cases c
        set stacked = agg.partners >= 2,
            urgency = case when agg.high then 'high' else 'normal' end,
            updated_at = now()
        from (
            select o.id as case_id,
                   (select count(distinct s.partner_id) from signals s
                    where s.household_id = o.household_id
                      and s.received_at >= now() - $2::interval) as partners,
                   (select bool_or(s.urgency = 'high') from signals s where s.case_id = o.id)
                       as high
            from cases o where o.id = any($1::uuid[])
        ) agg
        where c.id = agg.case_id
          and (c.stacked, c.urgency) is distinct from
              (agg.partners >= 2, case when agg.high then 'high' else 'normal' end)
        """,
        list(case_ids),
        stacking_window,
    )


_SUMMARY = """
    c.id, c.status, c.stacked, c.urgency, c.outcome, c.opened_at, c.updated_at, c.closed_at,
    c.director_id, c.team_id, d.email as director, d.name as director_name,
    t.code as team_code, t.name as team_name,
    h.address, c.household_id,
    (select count(*) from signals s where s.case_id = c.id) as signal_count,
    (select array_agg(distinct s.kind) from signals s where s.case_id = c.id) as kinds,
    (select array_agg(distinct p.name) from signals s join partners p on p.id = s.partner_id
     where s.case_id = c.id) as partners,
    soon.due_on as feedback_due, soon.step as feedback_step
"""
# A household whose address retention removed is no longer anyone's case to see.
_FROM = """
    cases c join teams t on t.id = c.team_id
    join households h on h.id = c.household_id and h.address is not null
    left join users d on d.id = c.director_id
    left join lateral (
        select o.due_on, o.step from obligations o join signals s on s.id = o.signal_id
        where s.case_id = c.id and o.met_at is null and o.due_on is not null
        order by o.due_on, o.id limit 1
    ) soon on true
"""
_TABS = {
    "new": "c.closed_at is null and c.director_id is null",
    "mine": "c.closed_at is null and c.director_id = $2::uuid",
    "open": "c.closed_at is null",
    "closed": "c.closed_at is not null",
}
TABS = tuple(_TABS)


# A filter on a tab (schemas.cases.CaseFilter), as parameters $4..$8 of the queries below.
_FILTER = """
    and ($4::text is null or c.status = $4)
    and ($5::text is null or exists (select 1 from signals f where f.case_id = c.id
                                     and f.kind = $5))
    and ($6::uuid is null or exists (select 1 from signals f where f.case_id = c.id
                                     and f.partner_id = $6))
    and ($7::text is null or ($7 = 'me' and c.director_id = $2::uuid)
                          or ($7 = 'nobody' and c.director_id is null))
    and (not $8::bool or soon.due_on < (now() at time zone 'Europe/Amsterdam')::date)
"""


def _filter_args(found: CaseFilter) -> tuple[object, ...]:
    return (
        found.status.value if found.status else None,
        found.kind.value if found.kind else None,
        found.partner,
        found.director,
        found.overdue,
    )


async def team_cases(
    conn: Connection,
    team_id: int,
    tab: str,
    user_id: UUID,
    limit: int = 200,
    found: CaseFilter | None = None,
) -> list[dict[str, Any]]:
    """A tab of the team's inbox, most pressing first: a deadline today or past, then urgent,
    then signalled by several partners, then the nearest deadline, then the oldest."""
    order = (
        "c.closed_at desc"
        if tab == "closed"
        else (
            "(soon.due_on <= (now() at time zone 'Europe/Amsterdam')::date) desc nulls last, "
            "(c.urgency = 'high') desc, c.stacked desc, soon.due_on asc nulls last, "
            "c.opened_at asc"
        )
    )
    rows = await conn.fetch(
        f"select {_SUMMARY} from {_FROM} where c.team_id = $1 and ({_TABS[tab]}) "  # noqa: S608 - constant fragments
        f"and $2::uuid is not null {_FILTER} "
        f"order by {order} limit $3",
        team_id,
        user_id,
        limit,
        *_filter_args(found or CaseFilter()),
    )
    return [unsealed(row) for row in rows]


async def count_cases(
    conn: Connection, team_id: int, tab: str, user_id: UUID, found: CaseFilter
) -> int:
    """How many cases a tab with a filter holds (a saved work queue's count)."""
    count: int = await conn.fetchval(
        f"select count(*) from {_FROM} where c.team_id = $1 and ({_TABS[tab]}) "  # noqa: S608 - constant fragments
        # $3 is team_cases' limit: unused here, so the filter's parameters keep their numbers.
        f"and $2::uuid is not null and $3::int is null {_FILTER}",
        team_id,
        user_id,
        None,
        *_filter_args(found),
    )
    return count


async def team_partners(conn: Connection, team_id: int) -> list[asyncpg.Record]:
    """The partners whose signals the team's cases hold (to filter by), by name."""
    return await conn.fetch(
        "select distinct p.id, p.name from signals s join cases c on c.id = s.case_id "
        "join partners p on p.id = s.partner_id where c.team_id = $1 order by p.name",
        team_id,
    )


async def tab_counts(conn: Connection, team_id: int, user_id: UUID) -> dict[str, int]:
    columns = ", ".join(
        f"count(*) filter (where {condition}) as {tab}" for tab, condition in _TABS.items()
    )
    row = await conn.fetchrow(
        f"select {columns} from cases c join households h on h.id = c.household_id "  # noqa: S608 - constant fragments
        "and h.address is not null where c.team_id = $1 and ($2::uuid is not null)",
        team_id,
        user_id,
    )
    return {tab: row[tab] for tab in _TABS} if row else dict.fromkeys(_TABS, 0)


async def team_case(
    conn: Connection, case_id: UUID, team_id: int, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The team's case; another team's is as absent as one that never was."""
    lock = " for update of c" if for_update else ""
    row = await conn.fetchrow(
        f"select {_SUMMARY} from {_FROM} where c.id = $1 and c.team_id = $2{lock}",  # noqa: S608 - constant fragments
        case_id,
        team_id,
    )
    return unsealed(row) if row else None


async def case_signals(conn: Connection, case_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        select s.id, p.name as partner, p.kind as partner_kind, s.kind, s.urgency, s.status,
               s.received_at, s.personal, s.resident_informed, s.repeat_of
        from signals s join partners p on p.id = s.partner_id
        where s.case_id = $1 and s.pseudonymised_at is null order by s.received_at
        """,
        case_id,
    )
    return [unsealed(row) for row in rows]


async def earlier_cases(
    conn: Connection, case_id: UUID, household_id: UUID, team_id: int, since: timedelta
) -> list[asyncpg.Record]:
    """The team's other cases of the household closed in the last `since`, newest first."""
    return await conn.fetch(
        """
        select id, status, outcome, opened_at, closed_at from cases
        where household_id = $2 and team_id = $3 and id <> $1
          and closed_at >= now() - $4::interval
        order by closed_at desc limit 10
        """,
        case_id,
        household_id,
        team_id,
        since,
    )


async def case_timeline(conn: Connection, case_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        -- The case's own events, then its signals' others: two index look-ups (an `or` of
        -- the two made PostgreSQL scan every event of the hub's history).
        with e as (
            select * from events where case_id = $1
            union all
            select * from events
            where signal_id = any(array(select id from signals where case_id = $1))
              and case_id is distinct from $1
        )
        select e.occurred_at, e.kind, e.actor, e.data, e.case_id, e.signal_id, u.email,
            u.name, p.name as partner_name
        from e
        left join users u on e.actor = 'user:' || u.id::text
        left join signals sp on sp.id = e.signal_id and e.actor like 'partner:%'
        left join partners p on p.id = sp.partner_id
        order by e.occurred_at, e.id
        """,
        case_id,
    )


async def update_case(
    conn: Connection,
    case_id: UUID,
    *,
    status: str,
    director_id: UUID | None,
    outcome: str | None,
    closing: bool,
) -> None:
    await conn.execute(
        """
        update cases set status = $2, director_id = $3, outcome = $4, updated_at = now(),
            closed_at = case when $5 then now() end
        where id = $1
        """,
        case_id,
        status,
        director_id,
        outcome,
        closing,
    )


async def set_signals_of_case(
    conn: Connection,
    case_id: UUID,
    status: str,
    *,
    settled: Sequence[str],
    progress: Sequence[str],
    to_queue: bool,
) -> list[UUID]:
    """Every signal of the case not yet `settled` takes `status`, unless it is a step of
    `progress` (in order) that the signal has already passed; returned ones leave the team for
    the queue (`set_returned_notes` then gives each the team's note)."""
    rows = await conn.fetch(
        """
        update signals set
            status = case
                when array_position($5::text[], $2) is null then $2
                when array_position($5::text[], status) >= array_position($5::text[], $2)
                    then status
                else $2 end,
            team_id = case when $3 then null else team_id end
        where case_id = $1 and status <> all($4::text[])
        returning id
        """,
        case_id,
        status,
        to_queue,
        list(settled),
        list(progress),
    )
    return [row["id"] for row in rows]


async def set_returned_notes(
    conn: Connection, signal_ids: Sequence[UUID], notes: Sequence[bytes | None]
) -> None:
    """Each signal's sealed note from the team that returned it."""
    await conn.execute(
        "update signals s set returned_note = u.note "
        "from unnest($1::uuid[], $2::bytea[]) as u (id, note) where s.id = u.id",
        list(signal_ids),
        list(notes),
    )


async def queue(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Signals no rule routed, and signals a team returned: the coordinator's work."""
    rows = await conn.fetch(
        """
        select s.id, s.household_id, s.status, s.kind, s.urgency, s.received_at, s.returned_note,
               p.name as partner, h.address, t.name as returned_by, t.code as returned_by_code,
               coalesce((select max(e.occurred_at) from events e
                         where e.case_id = s.case_id and e.kind = 'return'), s.received_at)
                   as waiting_since
        from signals s join partners p on p.id = s.partner_id
        join households h on h.id = s.household_id
        left join cases c on c.id = s.case_id left join teams t on t.id = c.team_id
        where s.status in ('unrouted', 'returned')
        order by (s.urgency = 'high') desc, waiting_since
        limit $1
        """,
        limit,
    )
    return [unsealed(row) for row in rows]


async def queued_signal(conn: Connection, signal_id: UUID) -> asyncpg.Record | None:
    """A signal in the coordinator's queue, locked while it is routed by hand."""
    return await conn.fetchrow(
        "select id, household_id, urgency, received_at, status from signals "
        "where id = $1 and status in ('unrouted', 'returned') for update",
        signal_id,
    )


async def set_out_of_area(conn: Connection, signal_id: UUID) -> None:
    await conn.execute(
        "update signals set status = 'out_of_area', team_id = null where id = $1", signal_id
    )


async def route_by_hand(
    conn: Connection, signal_id: UUID, team_id: int, rule: str, case_id: UUID, status: str
) -> None:
    await conn.execute(
        "update signals set status = $5, team_id = $2, routed_by = $3, case_id = $4 where id = $1",
        signal_id,
        team_id,
        rule,
        case_id,
        status,
    )


async def append_signal_events(
    conn: Connection,
    events: Sequence[tuple[UUID, str, str, dict[str, Any]]],
    occurred_at: datetime | None = None,
) -> None:
    """Append (signal_id, kind, actor, data) events to the signals' histories."""
    if not events:
        return
    await conn.execute(
        """
        insert into events (signal_id, kind, actor, data, occurred_at)
        select e.signal_id, e.kind, e.actor, e.data, coalesce($5, now())
        from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])
             as e (signal_id, kind, actor, data)
        """,
        [event[0] for event in events],
        [event[1] for event in events],
        [event[2] for event in events],
        [event[3] for event in events],
        occurred_at,
    )


async def append_intake_events(
    conn: Connection,
    actor: str,
    stored: Sequence[tuple[UUID, str, str, str | None, str | None, UUID | None]],
    occurred_at: datetime,
) -> None:
    """`received` and the routing outcome for each (signal_id, kind, outcome, rule, team code,
    repeat_of), in that order; the events' data is built here rather than sent as JSON (a
    batch's chunk is 2,000 events)."""
    if not stored:
        return

    def column(index: int) -> list[Any]:
        return [row[index] for row in stored]

    await conn.execute(
        """
        insert into events (signal_id, kind, actor, data, occurred_at)
        select s.id, e.kind, e.actor, e.data, $8
        from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[])
                 with ordinality as s (id, signal_kind, outcome, rule, team, repeat_of, n)
             cross join lateral (
                 values (1, 'received', $7, jsonb_build_object('kind', s.signal_kind)),
                        (2, s.outcome, 'hub', jsonb_strip_nulls(jsonb_build_object(
                            'rule', s.rule, 'team', s.team, 'repeat_of', s.repeat_of)))
             ) as e (step, kind, actor, data)
        order by s.n, e.step
        """,
        *(column(index) for index in range(6)),
        actor,
        occurred_at,
    )


async def append_case_event(
    conn: Connection, case_id: UUID, kind: str, actor: str, data: dict[str, Any]
) -> datetime:
    """Append an event to the case's history; returns when it happened (the transaction's
    time)."""
    at: datetime = await conn.fetchval(
        "insert into events (case_id, kind, actor, data) values ($1, $2, $3, $4) "
        "returning occurred_at",
        case_id,
        kind,
        actor,
        data,
    )
    return at


async def team_mail_for_cases(conn: Connection, case_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Per team with an address: its address, name, and which of these cases are its."""
    return await conn.fetch(
        """
        select t.email, t.name, array_agg(c.id order by c.opened_at, c.id) as cases
        from cases c join teams t on t.id = c.team_id
        where c.id = any($1::uuid[]) and t.email is not null
        group by t.id, t.email, t.name order by t.id
        """,
        list(case_ids),
    )


async def withdrawal_mail_for_case(conn: Connection, case_id: UUID) -> asyncpg.Record | None:
    """The case's team (its name and address, if any) and its director's address, if any."""
    return await conn.fetchrow(
        """
        select t.name as team, t.email as team_email, u.email as director_email
        from cases c join teams t on t.id = c.team_id left join users u on u.id = c.director_id
        where c.id = $1
        """,
        case_id,
    )


async def all_signals_withdrawn(conn: Connection, case_id: UUID) -> bool:
    """Whether every signal of the case was withdrawn by its partner."""
    withdrawn: bool = await conn.fetchval(
        "select coalesce(bool_and(status = 'withdrawn'), false) from signals where case_id = $1",
        case_id,
    )
    return withdrawn


async def director_mail_for_cases(
    conn: Connection, case_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    """Per director: their address and which of these cases they direct."""
    return await conn.fetch(
        """
        select u.email, array_agg(c.id order by c.opened_at, c.id) as cases
        from cases c join users u on u.id = c.director_id
        where c.id = any($1::uuid[])
        group by u.id, u.email order by u.id
        """,
        list(case_ids),
    )


# --- a person's saved work queues -----------------------------------------------------------


async def add_work_queue(
    conn: Connection, user_id: UUID, name: str, tab: str, found: CaseFilter
) -> bool:
    """Save a queue; False if the person has one by that name (in any case) already."""
    added = await conn.fetchval(
        "insert into work_queues (user_id, name, tab, filter) values ($1, $2, $3, $4) "
        "on conflict (user_id, lower(name)) do nothing returning id",
        user_id,
        name,
        tab,
        found.model_dump(mode="json", exclude_defaults=True),
    )
    return added is not None


async def work_queue_count(conn: Connection, user_id: UUID) -> int:
    count: int = await conn.fetchval("select count(*) from work_queues where user_id = $1", user_id)
    return count


async def work_queues(conn: Connection, user_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select id, name, tab, filter from work_queues where user_id = $1 order by name", user_id
    )


async def drop_work_queue(conn: Connection, user_id: UUID, queue_id: UUID) -> None:
    await conn.execute("delete from work_queues where id = $1 and user_id = $2", queue_id, user_id)


# --- the teams' load, for managers (counts only) --------------------------------------------


async def team_load(
    conn: Connection, municipality: str | None, today: date, team_roles: Sequence[str]
) -> list[asyncpg.Record]:
    """Per team (of a municipality, by name or CBS code): its capacity; its open cases, those
    without a director, and obligations of its signals past their day and unmet; its active
    people (`team_roles`), the open cases they direct together and the most one of them
    directs. Open cases are those the team's inbox lists (an address retention removed is
    nobody's case to see)."""
    return await conn.fetch(
        """
        -- Overdue deadlines and open cases (per team and director) counted once for all
        -- teams: per team, each team walked the region's overdue deadlines again, and each
        -- worker's open cases were counted twice (for the sum and for the most).
        with overdue as (
            select o.team_id, count(*) as deadlines
            from obligations o
            where o.met_at is null and o.due_on < $2
            group by o.team_id
        ),
        open as (
            select c.team_id, c.director_id, count(*) as cases
            from cases c join households h on h.id = c.household_id and h.address is not null
            where c.closed_at is null
            group by c.team_id, c.director_id
        )
        select t.id, t.code, t.name, t.municipality, t.capacity,
               coalesce((select sum(o.cases) from open o where o.team_id = t.id), 0)::bigint
                   as open_cases,
               coalesce((select o.cases from open o
                         where o.team_id = t.id and o.director_id is null), 0) as unassigned,
               staff.workers, coalesce(staff.directed, 0)::bigint as directed,
               coalesce(staff.most, 0) as most_one_worker,
               coalesce(overdue.deadlines, 0) as overdue_obligations
        from teams t
        left join overdue on overdue.team_id = t.id
        cross join lateral (
            select count(*) as workers, sum(o.cases) as directed,
                   max(coalesce(o.cases, 0)) as most
            from users u
            left join open o on o.team_id = t.id and o.director_id = u.id
            where u.team_id = t.id and u.role = any($3::text[]) and u.disabled_at is null
        ) staff
        where $1::text is null or t.municipality = $1 or t.municipality_code = $1
        order by t.code
        """,
        municipality,
        today,
        list(team_roles),
    )


async def new_cases_per_week(
    conn: Connection, team_ids: Sequence[int], since: datetime
) -> list[asyncpg.Record]:
    """Per team and week (its Monday, Dutch time): how many cases were opened since `since`."""
    return await conn.fetch(
        """
        select c.team_id,
               date_trunc('week', c.opened_at at time zone 'Europe/Amsterdam')::date as week,
               count(*) as new_cases
        from cases c
        where c.team_id = any($1::bigint[]) and c.opened_at >= $2
        group by 1, 2
        """,
        list(team_ids),
        since,
    )


async def first_contacts(
    conn: Connection, team_ids: Sequence[int], since: datetime
) -> list[asyncpg.Record]:
    """Per team, the cases whose first contact attempt came since `since`: the Dutch day each
    was opened (its first signal's arrival) and the day of that first attempt, as two arrays
    in the same order (the attempt is kept on the case by the trigger of migration 0034)."""
    return await conn.fetch(
        """
        -- Days, not moments, and an array a team: a region's 19,000 rows of two timestamps
        -- each took longer to decode and convert than the index range took to read.
        select c.team_id,
               array_agg((c.opened_at at time zone 'Europe/Amsterdam')::date) as opened,
               array_agg((c.first_contact_at at time zone 'Europe/Amsterdam')::date)
                   as contacted
        from cases c
        where c.first_contact_at >= $2 and c.team_id = any($1::bigint[])
        group by c.team_id
        """,
        list(team_ids),
        since,
    )


# --- the DDAS export of early-debt signalling ----------------------------------------------


async def early_debt_signals(
    conn: Connection, start: datetime, end: datetime, municipality_code: str | None
) -> list[asyncpg.Record]:
    """Early-debt signals (payment arrears, and a housing corporation's rent arrears, which are
    early-debt signals of the kind "Huur") received in [start, end) at a team of the
    municipality (all municipalities if None), with their sealed address and personal value."""
    return await conn.fetch(
        """
        select s.id, s.household_id, h.address, s.personal, s.received_at, s.status,
               s.case_id, s.repeat_of, p.kind as partner_kind,
               t.municipality_code, t.municipality
        from signals s
        join partners p on p.id = s.partner_id
        join teams t on t.id = s.team_id
        join households h on h.id = s.household_id
        where s.kind in ('payment_arrears', 'rent_arrears')
          and s.received_at >= $1 and s.received_at < $2
          and ($3::text is null or t.municipality_code = $3)
        order by t.municipality_code, s.received_at, s.id
        """,
        start,
        end,
        municipality_code,
    )


async def early_debt_cases(conn: Connection, case_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The cases' status and outcome, and their events that the national model records."""
    return await conn.fetch(
        """
        select c.id, c.status, c.outcome, e.kind, e.data, e.occurred_at
        from cases c
        left join events e on e.case_id = c.id
             and e.kind in ('take', 'assign', 'contact_attempt', 'close', 'decline', 'reopen')
        where c.id = any($1::uuid[])
        order by c.id, e.id
        """,
        list(case_ids),
    )
