"""Team load on a small crafted hub: open cases against capacity (busiest first), new cases per
week, the median wait for a first contact in working days, the spread over a team's people, and
no count of 1 to 4 in anything a manager sees."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from hub.cases.load import team_figures, team_load
from hub.directory.accounts import set_enabled
from hub.directory.service import set_team_capacity
from hub.feedback.agreements import add_agreement, add_non_working_day
from hub.intake.service import submit_signal
from hub.platform.clock import LOCAL_TIME
from hub.platform.errors import InvalidFields, NotFound
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import make_partner, make_signal, make_user

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=LOCAL_TIME)  # a Wednesday in ISO week 12
OOST, ZUID, CENTRUM, ZANDVOORT = (
    "SWT-HLM-OOST",
    "SWT-HLM-SCHALKWIJK-ZUID",
    "SWT-HLM-CENTRUM",
    "SWT-ZVT",
)
POSTCODE = {OOST: "2031AA", ZUID: "2036AA", CENTRUM: "2011AA", ZANDVOORT: "2041AA"}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), LOCAL_TIME).replace(
        hour=hour
    )


class Hub:
    """Opens cases at given moments through the real intake, one household each."""

    def __init__(self, pool: asyncpg.Pool, partner: Any) -> None:
        self.pool, self.partner, self.number = pool, partner, 0

    async def case(self, team: str, opened: datetime) -> UUID:
        self.number += 1
        body = make_signal(
            kind="care_concern",
            address={"postcode": POSTCODE[team], "house_number": self.number},
            person=None,
            description="Zorgen.",
        )
        done = await submit_signal(
            self.pool, self.partner, SignalIn.model_validate(body), received_at=opened
        )
        assert done.receipt.team is not None
        assert done.receipt.team.code == team
        case_id: UUID = await self.pool.fetchval(
            "select case_id from signals where id = $1", done.receipt.id
        )
        return case_id

    async def contact(self, case_id: UUID, moment: datetime) -> None:
        await self.pool.execute(
            "insert into events (case_id, kind, actor, data, occurred_at) "
            "values ($1, 'contact_attempt', 'user:test', '{\"reached\": false}', $2)",
            case_id,
            moment,
        )

    async def direct(self, case_id: UUID, user_id: UUID) -> None:
        await self.pool.execute(
            "update cases set director_id = $2, status = 'accepted' where id = $1",
            case_id,
            user_id,
        )


@pytest.fixture
async def crafted(haarlem: asyncpg.Pool) -> asyncpg.Pool:
    """Oost above its capacity with most of its work on one person; Schalkwijk-Zuid quiet, with
    first contacts to measure; Centrum with a handful of cases; Zandvoort without a capacity."""
    pool = haarlem
    # Feedback promised by Oost only: first contact within 3 working days.
    await add_agreement(pool, step="first_contact", working_days=3, team=OOST)
    await add_non_working_day(pool, date(2026, 3, 4), "Studiedag")
    gp, _ = await make_partner(pool, PartnerKind.GP, name="Huisarts Teambelasting")
    hub = Hub(pool, gp)

    await set_team_capacity(pool, OOST, 5)
    member, _ = await make_user(pool, "member", OOST)
    lead, _ = await make_user(pool, "lead", OOST)
    gone, _ = await make_user(pool, "member", OOST)
    await set_enabled(pool, gone.email, False)
    await make_user(pool, "coordinator")  # not the team's
    oost = [await hub.case(OOST, at("2026-03-02", 9 + n % 8)) for n in range(9)]
    for case_id in oost[:5]:
        await hub.direct(case_id, member.id)
    await hub.direct(oost[5], lead.id)
    await hub.direct(oost[6], gone.id)  # directed by someone who left: not a worker's
    await hub.direct(oost[8], member.id)
    await pool.execute(  # one ended: not open any more
        "update cases set status = 'closed', closed_at = $2, outcome = 'help_started' "
        "where id = $1",
        oost[8],
        at("2026-03-10"),
    )
    await pool.execute(  # one promise kept
        "update obligations set met_at = $2 where signal_id = "
        "(select id from signals where case_id = $1)",
        oost[0],
        at("2026-03-03"),
    )

    await set_team_capacity(pool, ZUID, 100)
    await make_user(pool, "member", ZUID)
    waits = [  # opened, first contact attempt: working days between, 4 March a day off
        ("2026-03-02", 10, "2026-03-02", 15),  # 0: the same day
        ("2026-03-02", 10, "2026-03-03", 10),  # 1
        ("2026-03-06", 10, "2026-03-09", 10),  # 1: over a weekend
        ("2026-03-02", 10, "2026-03-05", 10),  # 2: the 3rd, and the 5th (the 4th is off)
        ("2026-03-02", 10, "2026-03-09", 10),  # 4: the 4th is off
        ("2026-03-03", 10, "2026-03-13", 10),  # 7
    ]
    for opened, hour, contacted, contact_hour in waits:
        case_id = await hub.case(ZUID, at(opened, hour))
        await hub.contact(case_id, at(contacted, contact_hour))
        await hub.contact(case_id, at("2026-03-16"))  # a second attempt does not count
    old = await hub.case(ZUID, at("2025-12-01"))  # first contact before the last 12 weeks
    await hub.contact(old, at("2025-12-02"))
    for day in ("2026-03-16", "2026-03-16", "2026-03-17"):
        await hub.case(ZUID, at(day))

    await set_team_capacity(pool, CENTRUM, 2)
    for _ in range(3):
        await hub.case(CENTRUM, at("2026-03-10"))

    await set_team_capacity(pool, ZANDVOORT, None)
    for _ in range(6):
        await hub.case(ZANDVOORT, at("2026-03-11"))
    return pool


def small_counts(value: Any, where: str = "") -> list[str]:
    """Every int of 1 to 4 where a count of cases stands (workers and capacity count none)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("workers", "capacity", "weeks", "contact_weeks"):
                continue
            if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 4:
                found.append(f"{where}.{key}={item}")
            found += small_counts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += small_counts(item, f"{where}[{index}]")
    return found


async def test_the_busiest_team_comes_first_with_its_figures(crafted: asyncpg.Pool) -> None:
    report = await team_load(crafted, NOW)
    codes = [team.code for team in report.teams]
    assert codes[:2] == [OOST, ZUID]
    # No load to rank by: no capacity, or too few cases to show one.
    assert codes[-2:] == [CENTRUM, ZANDVOORT]
    assert len(codes) == 9

    oost = report.teams[0]
    assert (oost.open_cases, oost.capacity, oost.load, oost.over_capacity) == (8, 5, 1.6, True)
    assert oost.overdue_obligations == 8  # nine promised, one kept, none before its day
    assert oost.workers == 2  # a member and a lead; not the one disabled, not the coordinator
    assert oost.unassigned_open_cases == "<5"  # 2
    # 5 + 1 over two would be 3.0, and 8 open - 3.0 x 2 tells the masked 2 without a director;
    # the highest (5) of two workers tells the other's masked 1. Neither is shown.
    assert oost.open_per_worker is None
    assert oost.most_open_one_worker is None
    assert [week.new_cases for week in oost.new_cases_per_week] == [0, 0, 0, 0, 0, 9, 0, 0]
    assert oost.first_contacts == 0
    assert oost.median_working_days_to_first_contact is None


async def test_new_cases_per_iso_week_oldest_first(crafted: asyncpg.Pool) -> None:
    report = await team_load(crafted, NOW)
    zuid = next(team for team in report.teams if team.code == ZUID)
    assert [week.week for week in zuid.new_cases_per_week] == [
        f"2026-W{n:02d}" for n in range(5, 13)
    ]
    assert zuid.new_cases_per_week[0].starts_on == date(2026, 1, 26)
    assert zuid.new_cases_per_week[-1].starts_on == date(2026, 3, 16)
    assert [week.new_cases for week in zuid.new_cases_per_week] == [0, 0, 0, 0, 0, 6, 0, "<5"]
    assert (zuid.open_cases, zuid.load, zuid.over_capacity) == (10, 0.1, False)


async def test_median_working_days_to_a_first_contact(crafted: asyncpg.Pool) -> None:
    figures = {team.code: team for team in await team_figures(crafted, NOW)}
    assert figures[ZUID].waits == [0, 1, 1, 2, 4, 7]  # the one of December is too old
    zuid = next(team for team in (await team_load(crafted, NOW)).teams if team.code == ZUID)
    assert zuid.first_contacts == 6
    assert zuid.median_working_days_to_first_contact == 1.5
    # One worker: the most one of them directs would be that person's own count.
    assert (zuid.workers, zuid.open_per_worker, zuid.most_open_one_worker) == (1, 0.0, None)


async def test_small_counts_and_what_would_tell_them_are_not_shown(
    crafted: asyncpg.Pool,
) -> None:
    report = await team_load(crafted, NOW)
    assert small_counts(report.model_dump(mode="json")) == []
    centrum = next(team for team in report.teams if team.code == CENTRUM)
    raw = next(team for team in await team_figures(crafted, NOW) if team.code == CENTRUM)
    assert (raw.open_cases, raw.capacity) == (3, 2)  # above capacity, in truth
    # 150% of a capacity of 2 would tell the 3; so would "above capacity".
    assert (centrum.open_cases, centrum.load, centrum.over_capacity) == ("<5", None, None)
    assert centrum.new_cases_per_week[6].new_cases == "<5"
    zandvoort = next(team for team in report.teams if team.code == ZANDVOORT)
    assert (zandvoort.open_cases, zandvoort.capacity, zandvoort.load) == (6, None, None)
    assert zandvoort.open_per_worker is None  # nobody works there


async def test_one_municipality_by_name_or_code(crafted: asyncpg.Pool) -> None:
    for municipality in ("Zandvoort", "GM0473"):
        report = await team_load(crafted, NOW, municipality)
        assert [team.code for team in report.teams] == [ZANDVOORT]
    assert (await team_load(crafted, NOW, "Bloemendaal")).teams == []


async def test_a_capacity_is_set_checked_and_cleared(haarlem: asyncpg.Pool) -> None:
    team = await set_team_capacity(haarlem, OOST, 250)
    assert team.code == OOST
    assert await haarlem.fetchval("select capacity from teams where code = $1", OOST) == 250
    for wrong in (0, -1, 100_001):
        with pytest.raises(InvalidFields):
            await set_team_capacity(haarlem, OOST, wrong)
    with pytest.raises(NotFound):
        await set_team_capacity(haarlem, "SWT-NERGENS", 10)
    await set_team_capacity(haarlem, OOST, None)
    assert await haarlem.fetchval("select capacity from teams where code = $1", OOST) is None
    # The database refuses what the service would, whoever writes.
    with pytest.raises(asyncpg.CheckViolationError):
        await haarlem.execute("update teams set capacity = 0 where code = $1", OOST)
