"""Nothing acknowledged is lost: SIGKILL the hub under load, restart, and count."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.support.factories import make_partner, make_signal
from tests.support.processes import UNLIMITED, serve
from tests.support.servers import free_port

SIGNALS = 300
KILL_AFTER = 100


async def test_acknowledged_signals_survive_sigkill(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    _, token = await make_partner(haarlem)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/signals"
    process, _ = await serve(
        processes, tmp_path / "hub.log", port=port, DATABASE_URL=dsn, **UNLIMITED
    )

    bodies = [
        make_signal(
            external_ref=f"CRASH-{n:04d}", address={"postcode": "2032AB", "house_number": n + 1}
        )
        for n in range(SIGNALS)
    ]
    acknowledged: dict[str, str] = {}
    killed = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"}

    async def send(session: aiohttp.ClientSession, body: dict[str, Any]) -> None:
        try:
            async with session.post(url, json=body, headers=headers) as response:
                if response.status == 202:
                    acknowledged[body["external_ref"]] = (await response.json())["id"]
        except (TimeoutError, aiohttp.ClientError):
            return
        if len(acknowledged) >= KILL_AFTER and not killed.is_set():
            killed.set()
            os.kill(process.pid, signal.SIGKILL)

    connector = aiohttp.TCPConnector(limit=16)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(send(session, body) for body in bodies))
    await asyncio.to_thread(process.wait, 10)
    assert process.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(acknowledged) < SIGNALS, (
        "the kill must land while requests are in flight"
    )

    async with haarlem.acquire() as conn:
        rows = await conn.fetch("select external_ref, id::text from signals")
    stored = {row["external_ref"]: row["id"] for row in rows}
    assert len(rows) == len(stored)
    for ref, signal_id in acknowledged.items():
        assert stored.get(ref) == signal_id, f"acknowledged {ref} lost after the crash"

    # The client retries what it has no acknowledgement for, with the same references.
    process, _ = await serve(
        processes, tmp_path / "hub.log", port=port, DATABASE_URL=dsn, **UNLIMITED
    )
    unanswered = [body for body in bodies if body["external_ref"] not in acknowledged]
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for body in unanswered:
            async with session.post(url, json=body, headers=headers) as response:
                assert response.status == 202, await response.text()
                acknowledged[body["external_ref"]] = (await response.json())["id"]

    async with haarlem.acquire() as conn:
        counts = await conn.fetch(
            "select external_ref, count(*) as n, min(id::text) as id from signals group by 1"
        )
    assert len(counts) == SIGNALS
    assert all(row["n"] == 1 for row in counts)
    assert {row["external_ref"]: row["id"] for row in counts} == acknowledged
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 30) == 0
