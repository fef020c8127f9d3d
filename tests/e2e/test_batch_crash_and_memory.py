"""A monthly list survives a crash halfway (resumed where it stopped, nothing twice), and four
partners uploading the largest lists at once keep the hub's memory bounded."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
from pathlib import Path

import aiohttp
import asyncpg
import psutil
import pytest

from hub.intake.batches import CHUNK_ROWS
from schemas.signals import PartnerKind
from tests.support.batches import HEADER
from tests.support.factories import make_partner
from tests.support.processes import UNLIMITED, serve
from tests.support.servers import eventually, free_port

ROWS = 12_000
MAX_BYTES = 20 * 1024 * 1024  # the hub's default largest batch
MEMORY_LIMIT = 600 * 1024 * 1024  # stated in the README: four largest uploads at once


def monthly_list(rows: int, partner: int = 0) -> bytes:
    postcodes = ["2034AB", "2031AA", "2011AA", "2015GB", "2025AB"]
    lines = [
        f"P{partner}-{n};{postcodes[n % 5]};{n // 5 + 1};;Huurder {n};{100 + n % 900},00;01-02-2026"
        for n in range(rows)
    ]
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("cp1252")


async def batch_state(pool: asyncpg.Pool) -> tuple[str, int]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("select status, rows_done from batches")
    return (row["status"], row["rows_done"]) if row else ("none", 0)


@pytest.mark.timeout(300)
async def test_a_list_is_resumed_after_a_crash_and_nothing_is_taken_twice(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    port = free_port()
    process, base = await serve(
        processes, tmp_path / "hub.log", port=port, DATABASE_URL=dsn, **UNLIMITED
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    async with (
        aiohttp.ClientSession(base) as http,
        http.post("/api/v1/batches", data=monthly_list(ROWS), headers=headers) as answer,
    ):
        assert answer.status == 202
        batch = (await answer.json())["id"]

    async def first_chunk_committed() -> bool:
        return (await batch_state(haarlem))[1] > 1

    await eventually(first_chunk_committed)
    os.kill(process.pid, signal.SIGKILL)
    await asyncio.to_thread(process.wait, 10)
    status, done = await batch_state(haarlem)
    assert status == "pending"
    assert 1 < done < ROWS + 1, "the kill must land while the list is being taken in"

    # A new hub resumes the batch (the pending-batch job), after the line it got to.
    process, base = await serve(
        processes,
        tmp_path / "hub.log",
        port=port,
        DATABASE_URL=dsn,
        HUB_BATCH_POLL_SECONDS="0.5",
        **UNLIMITED,
    )

    async def finished() -> bool:
        return (await batch_state(haarlem))[0] != "pending"

    await eventually(finished, 240)
    async with (
        aiohttp.ClientSession(base) as http,
        http.get(f"/api/v1/batches/{batch}", headers=headers) as answer,
    ):
        view = await answer.json()
    assert view["status"] == "done"
    assert view["counts"] == {
        "total": ROWS,
        "accepted": ROWS,
        "repeat": 0,
        "known": 0,
        "refused": 0,
    }
    async with haarlem.acquire() as conn:
        stored = await conn.fetchval("select count(*) from signals")
        distinct = await conn.fetchval("select count(distinct external_ref) from signals")
    assert stored == distinct == ROWS
    process.send_signal(signal.SIGTERM)


@pytest.mark.timeout(300)
async def test_four_largest_uploads_at_once_keep_memory_bounded(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    tokens = [(await make_partner(haarlem, PartnerKind.HOUSING))[1] for _ in range(4)]
    files = []
    for index in range(4):
        data = monthly_list(200_000, index)
        files.append(data[: MAX_BYTES - 200].rsplit(b"\r\n", 1)[0] + b"\r\n")  # just fits
    process, base = await serve(processes, tmp_path / "hub.log", DATABASE_URL=dsn, **UNLIMITED)
    watched = psutil.Process(process.pid)
    peak = watched.memory_info().rss
    watching = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not watching.is_set():
            peak = max(peak, watched.memory_info().rss)
            watching.wait(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        async with aiohttp.ClientSession(base) as http:

            async def send(token: str, data: bytes) -> str:
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
                async with http.post("/api/v1/batches", data=data, headers=headers) as answer:
                    assert answer.status == 202, await answer.text()
                    return str((await answer.json())["id"])

            await asyncio.gather(*(send(t, f) for t, f in zip(tokens, files, strict=True)))

            # Past the costly start (file opened, read through once) of all four, and a few
            # chunks in: from there each batch holds one chunk of rows at a time. (All 800,000
            # rows would take minutes on two cores; that speed is benchmarks/batch_intake.py's.)
            async def all_well_under_way() -> bool:
                async with haarlem.acquire() as conn:
                    under_way = await conn.fetchval(
                        "select count(*) from batches where rows_done > $1", 5 * CHUNK_ROWS
                    )
                return under_way == len(files)

            await eventually(all_well_under_way, 240)
    finally:
        watching.set()
        watcher.join()
    print(f"peak RSS {peak / 2**20:.0f} MiB")
    assert peak < MEMORY_LIMIT, f"peak RSS {peak / 2**20:.0f} MiB"
