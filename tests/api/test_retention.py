"""Retention with a moved clock: personal data of closed cases goes after its period (by kind
and outcome, shortest wins), and what went is recorded without the content."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from hub.privacy.retention import RetentionPolicy, apply_retention
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_user, signal_from
from tests.support.http import act, cases_of
from tests.support.sealing import dump

Client = TestClient[Any, Any]
OOST = "SWT-HLM-OOST"
POLICY = RetentionPolicy(
    closed_days=730, by_outcome={"no_help_needed": 365}, by_kind={"care_report": 30}
)
DECLINED = {"postcode": "2031AA", "house_number": 1}  # care_concern, declined: 730 days
NO_HELP = {"postcode": "2031AA", "house_number": 2}  # care_concern, no_help_needed: 365
POLICE = {"postcode": "2031AA", "house_number": 3}  # care_report, help_started: 30 by kind
STILL_OPEN = {"postcode": "2031AA", "house_number": 4}  # an open case: never
NAMES = {
    "DECLINED": "Aaltje Declined",
    "NO_HELP": "Bert Nohelp",
    "POLICE": "Cor Police",
    "STILL_OPEN": "Dirk Open",
}


async def personal_left(pool: asyncpg.Pool) -> set[str]:
    """The names still stored (sealed), by the address they were signalled about."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select s.id, s.household_id, s.personal, h.address "
            "from signals s join households h on h.id = s.household_id"
        )
    return {name for row in rows if (name := unsealed(row)["person_name"]) is not None}


async def test_personal_data_goes_when_its_period_has_passed(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    police, _ = await make_partner(haarlem, PartnerKind.POLICE)
    _, member = await make_user(haarlem, "member", OOST)
    for partner, address, name in (
        (gp, DECLINED, NAMES["DECLINED"]),
        (gp, NO_HELP, NAMES["NO_HELP"]),
        (police, POLICE, NAMES["POLICE"]),
        (gp, STILL_OPEN, NAMES["STILL_OPEN"]),
    ):
        await signal_from(haarlem, partner, address=address, person={"name": name})
    by_number = {c["household"]["house_number"]: c["id"] for c in await cases_of(client, member)}
    steps: list[tuple[int, list[dict[str, Any]]]] = [
        (1, [{"action": "decline", "reason": "Geen taak voor Aaltje Declined"}]),
        (2, [{"action": "take"}, {"action": "close", "outcome": "no_help_needed"}]),
        (3, [{"action": "take"}, {"action": "close", "outcome": "help_started"}]),
    ]
    for number, actions in steps:
        for action in actions:
            response = await act(client, member, by_number[number], **action)
            assert response.status == 200, await response.text()
    async with haarlem.acquire() as conn:
        closed_at = await conn.fetchval("select max(closed_at) from cases")

    moved = [(29, set(NAMES.values()))]
    moved.append((31, set(NAMES.values()) - {NAMES["POLICE"]}))
    moved.append((366, {NAMES["DECLINED"], NAMES["STILL_OPEN"]}))
    moved.append((731, {NAMES["STILL_OPEN"]}))
    for days, left in moved:
        await apply_retention(haarlem, POLICY, closed_at + timedelta(days=days))
        assert await personal_left(haarlem) == left, f"after {days} days"

    async with haarlem.acquire() as conn:
        runs = await conn.fetch(
            "select kind, outcome, period_days, signals, households from retention_runs order by id"
        )
        households = await conn.fetch(
            "select address is null as gone, address_digest is null as unindexed from households"
        )
        notes = await conn.fetchval("select count(*) from events where data ? 'reason_sealed'")
        pseudonymised = await conn.fetchval(
            "select count(*) from events where kind = 'pseudonymised'"
        )
        text = await dump(conn)
    assert [tuple(run) for run in runs] == [
        ("care_report", "help_started", 30, 1, 1),
        ("care_concern", "no_help_needed", 365, 1, 1),
        ("care_concern", None, 730, 1, 1),
    ]
    assert sorted((row["gone"], row["unindexed"]) for row in households) == [
        (False, False),
        (True, True),
        (True, True),
        (True, True),
    ]
    assert notes == 0  # the team's note went with the data
    assert pseudonymised == 3
    for name in NAMES.values():
        assert name not in text
    assert "Geen taak" not in text

    # The team no longer sees what retention removed; the open case is untouched.
    remaining = await cases_of(client, member, "closed")
    assert remaining == []
    (still_open,) = await cases_of(client, member, "open")
    assert still_open["household"]["house_number"] == 4
    counts = await client.get("/api/v1/cases/counts", headers={"Authorization": f"Bearer {member}"})
    assert (await counts.json())["closed"] == 0

    # Running again removes nothing more, and records nothing.
    again = await apply_retention(haarlem, POLICY, closed_at + timedelta(days=2000))
    assert (again.signals, again.households) == (0, 0)


def test_the_shortest_period_that_applies_wins() -> None:
    assert POLICY.period("care_concern", None) == 730
    assert POLICY.period("care_concern", "no_help_needed") == 365
    assert POLICY.period("care_report", "help_started") == 30
    assert POLICY.period("care_report", "no_help_needed") == 30
    longer_by_kind = RetentionPolicy(closed_days=100, by_outcome={}, by_kind={"nuisance": 900})
    assert longer_by_kind.period("nuisance", None) == 100
