"""Team load, for managers: each team's open cases against the capacity an administrator set,
its inflow per week, how long households wait for a first contact, feedback past its day, and
how the open cases spread over the team's people. Counts only: no resident and no person's
name, and every count passes the masking rule before anyone sees it."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from hub.cases import store
from hub.cases.service import TEAM_ROLES
from hub.feedback.agreements import calendar
from hub.platform.clock import LOCAL_TIME, local_day
from hub.privacy.masking import SMALL, is_masked, shown
from schemas.metrics import TeamLoad, TeamLoadReport, WeekInflow

if TYPE_CHECKING:
    import asyncpg


WEEKS: Final = 8  # of new cases, the current week included
CONTACT_WEEKS: Final = 12  # over which the wait for a first contact is measured


@dataclass(frozen=True)
class TeamFigures:
    """One team's figures as counted, before masking: never shown as they are."""

    code: str
    name: str
    municipality: str
    capacity: int | None
    open_cases: int
    unassigned: int
    workers: int
    directed: int  # open cases the team's workers direct, together
    most_one_worker: int
    overdue_obligations: int
    new_per_week: list[tuple[date, int]]  # (Monday, cases opened), oldest first
    waits: list[int] = field(default_factory=list)  # working days to a first contact, per case


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first; the last is this week's."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def shown_load(figures: TeamFigures) -> TeamLoad:
    """The team's figures as a manager may see them: counts of 1 to 4 as "<5", and no rate,
    average or median that would tell such a count (or one household's wait)."""
    open_masked = is_masked(figures.open_cases)
    load = figures.open_cases / figures.capacity if figures.capacity and not open_masked else None
    waits = figures.waits
    return TeamLoad(
        code=figures.code,
        name=figures.name,
        municipality=figures.municipality,
        open_cases=shown(figures.open_cases),
        capacity=figures.capacity,
        load=round(load, 3) if load is not None else None,
        over_capacity=load > 1 if load is not None else None,
        new_cases_per_week=[
            WeekInflow(week=iso_week(monday), starts_on=monday, new_cases=shown(count))
            for monday, count in figures.new_per_week
        ],
        first_contacts=shown(len(waits)),
        median_working_days_to_first_contact=(
            round(float(statistics.median(waits)), 1) if len(waits) >= SMALL else None
        ),
        overdue_obligations=shown(figures.overdue_obligations),
        workers=figures.workers,
        # The average times the workers is the directed cases: with the open cases shown, that
        # would tell a masked number without a director. So it needs that number shown too.
        open_per_worker=(
            round(figures.directed / figures.workers, 1)
            if figures.workers
            and not is_masked(figures.directed)
            and not is_masked(figures.unassigned)
            else None
        ),
        # With one worker it is that person's own count (and the average says it already); with
        # two, the other's is what is left, so that must not be a masked count either.
        most_open_one_worker=shown(figures.most_one_worker)
        if figures.workers >= 3
        or (figures.workers == 2 and not is_masked(figures.directed - figures.most_one_worker))
        else None,
        unassigned_open_cases=shown(figures.unassigned),
    )


def busiest_first(team: TeamLoad) -> tuple[bool, float, str]:
    """Above capacity first, then by load (highest first; no load last), then by code. Only
    shown figures decide, so the order tells nothing the masked figures hide."""
    return (
        not team.over_capacity,
        -team.load if team.load is not None else math.inf,
        team.code,
    )


async def team_figures(
    pool: asyncpg.Pool, now: datetime, municipality: str | None = None
) -> list[TeamFigures]:
    """Every team's figures (of one municipality, by name or CBS code), unmasked: for
    `team_load`, never for a page or an answer as they are."""
    today = local_day(now)
    mondays = week_starts(today)
    weeks_since = datetime.combine(mondays[0], time.min, LOCAL_TIME)
    contacts_since = datetime.combine(today - timedelta(weeks=CONTACT_WEEKS), time.min, LOCAL_TIME)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        teams = await store.team_load(conn, municipality, today, TEAM_ROLES)
        ids = [team["id"] for team in teams]
        weekly = await store.new_cases_per_week(conn, ids, weeks_since)
        contacts = await store.first_contacts(conn, ids, contacts_since)
        days = await calendar(conn)
    opened = {(row["team_id"], row["week"]): row["new_cases"] for row in weekly}
    waits: dict[int, list[int]] = {team_id: [] for team_id in ids}
    for row in contacts:
        waits[row["team_id"]] = days.between_all(row["opened"], row["contacted"])
    return [
        TeamFigures(
            code=team["code"],
            name=team["name"],
            municipality=team["municipality"],
            capacity=team["capacity"],
            open_cases=team["open_cases"],
            unassigned=team["unassigned"],
            workers=team["workers"],
            directed=team["directed"],
            most_one_worker=team["most_one_worker"],
            overdue_obligations=team["overdue_obligations"],
            new_per_week=[(monday, opened.get((team["id"], monday), 0)) for monday in mondays],
            waits=sorted(waits[team["id"]]),
        )
        for team in teams
    ]


async def team_load(
    pool: asyncpg.Pool, now: datetime, municipality: str | None = None
) -> TeamLoadReport:
    """Every team's load as managers see it (small counts masked), busiest first."""
    figures = await team_figures(pool, now, municipality)
    return TeamLoadReport(
        as_of=local_day(now),
        municipality=municipality,
        weeks=WEEKS,
        contact_weeks=CONTACT_WEEKS,
        teams=sorted((shown_load(team) for team in figures), key=busiest_first),
    )
