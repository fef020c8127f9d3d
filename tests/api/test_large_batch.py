"""A housing corporation's list of 100,000 rows is taken in whole."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.demo.data import demo_pc6_codes
from schemas.signals import PartnerKind
from tests.support.batches import HEADER, finished, upload
from tests.support.factories import make_partner

ROWS = 100_000


def large_file(rows: int) -> bytes:
    codes = demo_pc6_codes()
    lines = [HEADER]
    for n in range(rows):
        pc6 = codes[n % len(codes)]
        number = n // len(codes) + 1
        lines.append(f"HV-{n};{pc6};{number};;;{n % 5000},{n % 100:02d};01-{n % 12 + 1:02d}-2026")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.mark.slow
async def test_hundred_thousand_rows(client: TestClient[Any, Any], haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    response = await upload(client, token, large_file(ROWS))
    assert response.status == 202
    view = await finished(client, token, (await response.json())["id"])
    assert view["counts"] == {
        "total": ROWS,
        "accepted": ROWS,
        "repeat": 0,
        "known": 0,
        "refused": 0,
    }
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == ROWS
        assert await conn.fetchval("select count(*) from signals where status = 'routed'") == ROWS
        assert await conn.fetchval("select count(*) from events") == 2 * ROWS
