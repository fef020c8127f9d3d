"""PostgreSQL goes away under load: the hub answers 503 problem+json with Retry-After at once
(no request hangs), /readyz says so, and within 5 s of PostgreSQL's return it serves again by
itself. Its own PostgreSQL, so stopping it touches no other test."""

from __future__ import annotations

import asyncio
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from hub.platform.db import create_pool, with_database
from hub.platform.schema import migrate
from hub.platform.store.schema import ensure_database
from tests.support.factories import make_partner, make_signal
from tests.support.processes import UNLIMITED, serve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pgserver.postgres_server import get_server


@dataclass
class Answer:
    started: float
    took: float
    status: int
    retry_after: str | None
    content_type: str


@pytest.mark.timeout(180)
async def test_the_hub_rides_out_a_database_outage(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    pgdata = tmp_path / "pg" / "pgdata"
    pgdata.parent.mkdir()
    server = await asyncio.to_thread(get_server, pgdata, cleanup_mode="stop")
    try:
        dsn = with_database(server.get_uri(), "hub")
        await ensure_database(server.get_uri(), "hub")
        pool = await create_pool(dsn, min_size=1, max_size=2)
        async with pool.acquire() as conn:
            await migrate(conn)
        _, token = await make_partner(pool)
        await pool.close()

        process, base = await serve(
            processes, tmp_path / "hub.log", DATABASE_URL=dsn, HUB_SCHEDULER="false", **UNLIMITED
        )

        answers: list[Answer] = []
        stop = asyncio.Event()
        headers = {"Authorization": f"Bearer {token}"}
        timeout = aiohttp.ClientTimeout(total=10)

        async def client(session: aiohttp.ClientSession, worker: int) -> None:
            number = 0
            while not stop.is_set():
                number += 1
                body = make_signal(address={"postcode": "2032AB", "house_number": number})
                started = time.monotonic()
                try:
                    async with session.post(
                        f"{base}/api/v1/signals", json=body, headers=headers
                    ) as response:
                        await response.read()
                        status = response.status
                        retry = response.headers.get("Retry-After")
                        kind = response.content_type
                except (aiohttp.ClientError, TimeoutError):
                    status, retry, kind = 0, None, ""
                answers.append(Answer(started, time.monotonic() - started, status, retry, kind))
                await asyncio.sleep(0.02)

        async with aiohttp.ClientSession(timeout=timeout) as session:
            workers = [asyncio.create_task(client(session, n)) for n in range(8)]
            await asyncio.sleep(1.5)
            assert any(a.status == 202 for a in answers), "no load went through before the outage"

            await asyncio.to_thread(server.cleanup)
            stopped = time.monotonic()
            await asyncio.sleep(3)
            async with session.get(f"{base}/readyz") as ready:
                assert ready.status == 503
                assert ready.content_type == "application/problem+json"

            restarting = time.monotonic()
            server = await asyncio.to_thread(get_server, pgdata, cleanup_mode="stop")
            restarted = time.monotonic()
            back_at = None
            while time.monotonic() - restarted < 10:
                recent = [a for a in answers if a.started > restarted and a.status == 202]
                if recent:
                    back_at = recent[0].started + recent[0].took
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.gather(*workers)

        during = [a for a in answers if stopped < a.started and a.started + a.took < restarting]
        assert len(during) >= 20, "the load did not go on through the outage"
        assert {a.status for a in during} == {503}, {a.status for a in during}
        assert all(a.retry_after and a.content_type == "application/problem+json" for a in during)
        slowest = max(a.took for a in during)
        assert slowest < 1.0, f"a request took {slowest:.2f} s during the outage"
        assert all(a.status != 0 for a in answers), "a request failed without an answer"
        assert back_at is not None, "the hub did not serve again within 10 s"
        assert back_at - restarted < 5, f"serving again took {back_at - restarted:.1f} s"
        assert process.poll() is None
    finally:
        server.cleanup()
