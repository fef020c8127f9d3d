"""Overload: far more concurrent requests than the hub takes on. Past its bound it answers 503
with Retry-After at once; everything it acknowledged is stored; its memory stays bounded; and
afterwards it serves as before."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
import pytest

from tests.support.factories import make_partner, make_signal
from tests.support.processes import UNLIMITED, serve

CONCURRENT = 600
BOUND = 16


@pytest.mark.timeout(120)
async def test_past_its_bound_the_hub_refuses_quickly(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    _, token = await make_partner(haarlem)
    process, base = await serve(
        processes,
        tmp_path / "hub.log",
        DATABASE_URL=dsn,
        HUB_MAX_IN_FLIGHT=str(BOUND),
        HUB_SCHEDULER="false",
        **UNLIMITED,
    )
    rss_before = psutil.Process(process.pid).memory_info().rss
    headers = {"Authorization": f"Bearer {token}"}
    answers: list[tuple[int, float, str | None, str]] = []

    # Bodies made beforehand: the client's own work must not count as the hub's latency.
    bodies = [
        make_signal(external_ref=f"LOAD-{n}", address={"postcode": "2032AB", "house_number": n})
        for n in range(1, CONCURRENT + 1)
    ]

    async def send(session: aiohttp.ClientSession, body: dict[str, Any]) -> None:
        started = time.monotonic()
        async with session.post(f"{base}/api/v1/signals", json=body, headers=headers) as response:
            await response.read()
            answers.append(
                (
                    response.status,
                    time.monotonic() - started,
                    response.headers.get("Retry-After"),
                    body["external_ref"],
                )
            )

    connector = aiohttp.TCPConnector(limit=CONCURRENT)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(send(session, body) for body in bodies))
        rss_after = psutil.Process(process.pid).memory_info().rss
        after = await session.post(f"{base}/api/v1/signals", json=make_signal(), headers=headers)
        assert after.status == 202

    statuses = {status for status, _, _, _ in answers}
    assert len(answers) == CONCURRENT
    assert statuses == {202, 503}, statuses
    refused = [a for a in answers if a[0] == 503]
    assert all(retry for _, _, retry, _ in refused)
    # Quick, measured at the client (which shares two cores with the hub and PostgreSQL): half
    # within a second, none near the time a queue of this size would take.
    times = sorted(took for _, took, _, _ in refused)
    assert times[len(times) // 2] < 1.0, f"median refusal {times[len(times) // 2]:.2f} s"
    assert times[-1] < 2.5, f"a refusal took {times[-1]:.2f} s"
    accepted = {ref for status, _, _, ref in answers if status == 202}
    async with haarlem.acquire() as conn:
        stored = await conn.fetch(
            "select external_ref from signals where external_ref like 'LOAD-%'"
        )
    assert {row["external_ref"] for row in stored} == accepted
    assert rss_after - rss_before < 50 * 1024 * 1024, "memory grew with the queue"
