"""Changing and ending feedback agreements on real PostgreSQL: history kept, one transaction, one
change at a time; and the pure rules they follow."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import asyncpg
import pytest

from hub.directory.service import require_team
from hub.feedback.agreements import (
    Agreement,
    Overlaps,
    Terms,
    add_agreement,
    agreements_for,
    change_agreement,
    end_agreement,
    load_agreements,
    overlap,
)
from hub.platform.clock import today
from hub.platform.errors import Conflict, InvalidFields
from schemas.signals import PartnerKind
from tests.support.factories import OOST, make_partner

DAY = date(2026, 9, 1)


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ((None, None), (None, None), True),
        ((None, date(2026, 8, 31)), (DAY, None), False),  # ended yesterday, the next from today
        ((None, DAY), (DAY, None), True),
        ((date(2026, 10, 1), None), (DAY, date(2026, 9, 30)), False),
        ((date(2026, 10, 1), None), (DAY, date(2026, 10, 1)), True),
        # An agreement changed before it started ends before it starts: it has no day at all.
        ((date(2026, 10, 1), date(2026, 8, 31)), (date(2026, 10, 1), None), False),
        # Days before `day` do not count: the past is not changed.
        ((date(2026, 1, 1), date(2026, 6, 30)), (None, None), False),
    ],
)
def test_periods_overlap_only_on_a_shared_day_from_today(
    first: tuple[date | None, date | None], second: tuple[date | None, date | None], shared: bool
) -> None:
    assert overlap(first, second, DAY) is shared
    assert overlap(second, first, DAY) is shared


@pytest.mark.parametrize(
    ("terms", "fields"),
    [
        (Terms("first_contact", 5), []),
        (Terms("outcome", None, partner_kind=PartnerKind.GP, team=OOST), []),
        (Terms("soon", 5), ["step"]),
        (Terms("received", 366), ["working_days"]),
        (Terms("received", -1), ["working_days"]),
    ],
)
def test_terms_name_what_is_impossible(terms: Terms, fields: list[str]) -> None:
    assert [problem["loc"][0] for problem in terms.problems()] == fields


async def test_one_partner_and_a_kind_together_are_refused(pool: asyncpg.Pool) -> None:
    gp, _ = await make_partner(pool, PartnerKind.GP)
    with pytest.raises(InvalidFields) as refused:
        await add_agreement(
            pool, step="received", working_days=0, partner_id=gp.id, partner_kind=PartnerKind.GP
        )
    assert refused.value.errors == [
        {"loc": ["partner"], "msg": "choose one partner or a kind of partner, not both"}
    ]
    assert await pool.fetchval("select count(*) from feedback_agreements") == 0


async def test_a_change_ends_the_old_one_yesterday_and_the_new_one_applies_from_today(
    haarlem: asyncpg.Pool,
) -> None:
    police, _ = await make_partner(haarlem, PartnerKind.POLICE)
    oost = await require_team(haarlem, OOST)
    old = await add_agreement(
        haarlem,
        step="first_contact",
        working_days=5,
        partner_kind=PartnerKind.POLICE,
        valid_from=DAY - timedelta(days=30),
    )
    new = await change_agreement(
        haarlem, old, Terms("first_contact", 2, partner_kind=PartnerKind.POLICE), day=DAY
    )
    assert new is not None
    rows = {
        row["id"]: row
        for row in await haarlem.fetch(
            "select id, working_days, valid_from, valid_to, ended_at, replaced_by "
            "from feedback_agreements"
        )
    }
    assert rows[old]["working_days"] == 5  # the old terms are kept as they were
    assert rows[old]["valid_to"] == DAY - timedelta(days=1)
    assert rows[old]["ended_at"] is not None
    assert rows[old]["replaced_by"] == new
    assert (rows[new]["valid_from"], rows[new]["valid_to"]) == (DAY, None)
    agreements = await load_agreements_of(haarlem)
    yesterday = agreements_for(agreements, police.id, "police", oost.id, DAY - timedelta(days=1))
    assert yesterday["first_contact"].id == old
    on_the_day = agreements_for(agreements, police.id, "police", oost.id, DAY)
    assert on_the_day["first_contact"].id == new
    assert on_the_day["first_contact"].working_days == 2
    # Changed once, the old one is history: it cannot be changed or ended again.
    with pytest.raises(Conflict):
        await change_agreement(haarlem, old, Terms("first_contact", 3), day=DAY)
    with pytest.raises(Conflict):
        await end_agreement(haarlem, old, day=DAY)


async def load_agreements_of(pool: asyncpg.Pool) -> list[Agreement]:
    async with pool.acquire() as conn:
        return await load_agreements(conn)


async def test_a_change_to_the_same_terms_changes_nothing(haarlem: asyncpg.Pool) -> None:
    kept = await add_agreement(haarlem, step="outcome", working_days=None, team=OOST)
    assert await change_agreement(haarlem, kept, Terms("outcome", None, team=OOST)) is None
    assert await haarlem.fetchval("select count(*) from feedback_agreements") == 1
    assert await haarlem.fetchval("select valid_to from feedback_agreements") is None


async def test_a_change_that_would_collide_with_another_agreement_changes_nothing(
    haarlem: asyncpg.Pool,
) -> None:
    for_everyone = await add_agreement(haarlem, step="first_contact", working_days=5)
    for_oost = await add_agreement(haarlem, step="first_contact", working_days=3, team=OOST)
    with pytest.raises(Overlaps) as refused:
        await change_agreement(haarlem, for_oost, Terms("first_contact", 4))
    assert refused.value.agreement_id == for_everyone
    assert await haarlem.fetchval("select count(*) from feedback_agreements") == 2
    assert (
        await haarlem.fetchval("select valid_to from feedback_agreements where id = $1", for_oost)
        is None
    )
    with pytest.raises(Overlaps):
        await add_agreement(haarlem, step="first_contact", working_days=1, team=OOST)


async def test_ending_makes_yesterday_the_last_day_and_keeps_obligations(
    haarlem: asyncpg.Pool,
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    ended = await add_agreement(haarlem, step="first_contact", working_days=5, partner_id=gp.id)
    await end_agreement(haarlem, ended, day=DAY)
    row = await haarlem.fetchrow(
        "select valid_to, ended_at, replaced_by from feedback_agreements where id = $1", ended
    )
    assert row["valid_to"] == DAY - timedelta(days=1)
    assert row["ended_at"] is not None
    assert row["replaced_by"] is None
    agreements = await load_agreements_of(haarlem)
    assert agreements_for(agreements, gp.id, "gp", None, DAY) == {}


async def test_two_administrators_changing_one_agreement_at_once_make_one_change(
    haarlem: asyncpg.Pool,
) -> None:
    agreement = await add_agreement(haarlem, step="first_contact", working_days=5)
    results = await asyncio.gather(
        change_agreement(haarlem, agreement, Terms("first_contact", 3)),
        change_agreement(haarlem, agreement, Terms("first_contact", 4)),
        end_agreement(haarlem, agreement),
        return_exceptions=True,
    )
    assert sum(isinstance(result, Conflict) for result in results) == 2, results
    current = await haarlem.fetch(
        "select id from feedback_agreements where valid_to is null or valid_to >= $1", today()
    )
    assert len(current) == (0 if results[2] is None else 1)


async def test_the_same_terms_for_one_partner_change_nothing(haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    kept = await add_agreement(haarlem, step="received", working_days=0, partner_id=gp.id)
    same = Terms("received", 0, partner_id=gp.id)
    assert await change_agreement(haarlem, kept, same) is None
    assert await haarlem.fetchval("select count(*) from feedback_agreements") == 1
