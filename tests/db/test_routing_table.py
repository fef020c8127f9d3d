from __future__ import annotations

from datetime import date

import asyncpg

from hub.routing.rules import CSV_HEADER
from hub.routing.service import check_routing, import_routing_table
from hub.routing.store import all_rules

HEADER = ",".join(CSV_HEADER)
DAY = date(2026, 11, 22)


async def test_demo_table_is_stored_and_consulted(haarlem: asyncpg.Pool) -> None:
    answer = await check_routing(haarlem, "2034JE", 7, DAY)
    assert answer.team is not None
    assert answer.team.code == "SWT-HLM-SCHALKWIJK-ZUID"
    assert answer.rule is not None
    assert answer.rule.postcode == "2034JE"
    unrouted = await check_routing(haarlem, "2116AB", 7, DAY)
    assert unrouted.team is None


async def test_import_replaces_the_whole_table(haarlem: asyncpg.Pool) -> None:
    text = f"{HEADER}\n2034,,,,SWT-HLM-OOST,,\n2034AB,1,9,odd,SWT-HLM-ZUID,,\n"
    _, applied = await import_routing_table(haarlem, text, partial=False)
    assert applied
    async with haarlem.acquire() as conn:
        assert [r.describe() for r in await all_rules(conn)] == [
            "2034 -> SWT-HLM-OOST",
            "2034AB 1-9 odd -> SWT-HLM-ZUID",
        ]
    odd = await check_routing(haarlem, "2034AB", 3, DAY)
    even = await check_routing(haarlem, "2034AB", 4, DAY)
    assert odd.team is not None
    assert odd.team.code == "SWT-HLM-ZUID"
    assert even.team is not None
    assert even.team.code == "SWT-HLM-OOST"
    assert (await check_routing(haarlem, "2011AA", 1, DAY)).team is None


async def test_table_with_refused_lines_changes_nothing_unless_partial(
    haarlem: asyncpg.Pool,
) -> None:
    async with haarlem.acquire() as conn:
        before = await all_rules(conn)
    text = f"{HEADER}\n2034,,,,SWT-HLM-OOST,,\n2035,,,,NO-SUCH-TEAM,,\n"
    report, applied = await import_routing_table(haarlem, text, partial=False)
    assert not applied
    assert report.refused == [(3, "unknown team NO-SUCH-TEAM")]
    async with haarlem.acquire() as conn:
        assert await all_rules(conn) == before

    report, applied = await import_routing_table(haarlem, text, partial=True)
    assert applied
    async with haarlem.acquire() as conn:
        assert len(await all_rules(conn)) == 1
