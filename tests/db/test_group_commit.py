"""Group commit: concurrent signals share transactions, each answered after its commit, with the
same receipts, replays and conflicts as one transaction each."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from hub.intake.groupcommit import GroupCommit
from hub.intake.service import store_signals
from hub.platform.errors import Conflict, InvalidFields
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import make_partner, make_signal


def signal(**fields: object) -> SignalIn:
    return SignalIn.model_validate(make_signal(**fields))


async def test_concurrent_signals_share_transactions(haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    police, _ = await make_partner(haarlem, PartnerKind.POLICE)
    intake = GroupCommit(haarlem, workers=2)
    try:
        bodies = [
            (
                gp if n % 2 else police,
                signal(
                    kind="care_concern" if n % 2 else "care_report",
                    address={"postcode": "2034AB", "house_number": n + 1},
                ),
            )
            for n in range(60)
        ]
        results = await asyncio.gather(*(intake.submit(p, s) for p, s in bodies))
        replay = await intake.submit(*bodies[0])
    finally:
        await intake.close()
    assert intake.transactions < 60  # shared, not one each
    assert all(result.created for result in results)
    assert not replay.created
    assert replay.receipt == results[0].receipt
    async with haarlem.acquire() as conn:
        stored = await conn.fetch("select id from signals")
    assert {row["id"] for row in stored} == {result.receipt.id for result in results}


async def test_a_conflict_or_a_wrong_kind_is_that_signal_s_alone(haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    intake = GroupCommit(haarlem, workers=1)
    try:
        first = signal(external_ref="SAME-1", description="Eerste versie")
        twin = signal(external_ref="SAME-1", description="Andere inhoud")
        others = [signal(address={"postcode": "2034AB", "house_number": n + 1}) for n in range(5)]
        answers = await asyncio.gather(
            intake.submit(gp, first),
            intake.submit(gp, twin),
            *(intake.submit(gp, s) for s in others),
            return_exceptions=True,
        )
        with pytest.raises(InvalidFields):
            await intake.submit(gp, signal(kind="rent_arrears"))
    finally:
        await intake.close()
    assert not isinstance(answers[0], BaseException)
    assert isinstance(answers[1], Conflict)
    assert all(not isinstance(a, BaseException) and a.created for a in answers[2:])


async def test_a_twin_that_loses_the_race_leaves_no_empty_case(haarlem: asyncpg.Pool) -> None:
    """Two transactions store the same reference with different addresses at once: the second
    waits for the first, is refused as a conflict, and the case it opened for its own address
    (before it knew) is gone again: no case without a signal."""
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    first = signal(external_ref="RACE-1", address={"postcode": "2034AB", "house_number": 1})
    twin = signal(external_ref="RACE-1", address={"postcode": "2011AB", "house_number": 2})
    async with haarlem.acquire() as one, haarlem.acquire() as two:
        winner = one.transaction()
        await winner.start()
        await store_signals(one, gp, [first])
        loser = two.transaction()
        await loser.start()
        racing = asyncio.create_task(store_signals(two, gp, [twin]))
        await asyncio.sleep(0.3)
        assert not racing.done()  # waiting on the first transaction's reference
        await winner.commit()
        (result,) = await racing
        await loser.commit()
    assert isinstance(result, Conflict)
    async with haarlem.acquire() as conn:
        cases = await conn.fetch(
            "select c.id, count(s.id) as signals from cases c "
            "left join signals s on s.case_id = c.id group by c.id"
        )
    assert len(cases) == 1
    assert cases[0]["signals"] == 1
