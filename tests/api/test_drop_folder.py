"""The drop-folder job, run by the app's own scheduler, takes in a partner's file."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from hub.app import create_app
from hub.platform.config import Settings
from schemas.signals import PartnerKind
from tests.support.batches import MIXED
from tests.support.factories import TEST_KEYRING, make_partner


def settle(path: Path) -> None:
    """Age the file past the settle time, as if written a while ago."""
    old = time.time() - 60
    os.utime(path, (old, old))


async def wait_for(path: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not await asyncio.to_thread(path.exists):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear")
        await asyncio.sleep(0.1)


async def test_scheduled_job_picks_up_files(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path
) -> None:
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    drop = tmp_path / "drop"
    good = drop / str(housing.id) / "achterstanden-2026-11.csv"
    wrong = drop / str(gp.id) / "lijst.csv"
    busy = drop / str(housing.id) / "half-geschreven.csv"
    for path, data in ((good, MIXED), (wrong, MIXED), (busy, MIXED[:40])):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    settle(good)
    settle(wrong)
    settings = Settings(
        data_dir=tmp_path / "data",
        drop_dir=drop,
        drop_poll_seconds=0.2,
        batch_poll_seconds=0.2,
        keys=SecretStr(TEST_KEYRING.to_json()),
    )
    async with TestClient(TestServer(create_app(settings, dsn))):
        await wait_for(good.parent / "done" / f"{good.name}.report.json")
        await wait_for(wrong.parent / "failed" / f"{wrong.name}.report.json")
        await asyncio.sleep(0.5)
        assert busy.exists(), "a file still being written must wait"

    assert not good.exists()
    assert (good.parent / "done" / good.name).read_bytes() == MIXED
    report: dict[str, Any] = json.loads(
        (good.parent / "done" / f"{good.name}.report.json").read_text()
    )
    assert report["status"] == "done"
    assert report["counts"]["accepted"] == 3
    assert [p["line"] for p in report["problems"]] == [3, 5]
    failed = json.loads((wrong.parent / "failed" / f"{wrong.name}.report.json").read_text())
    assert "no default CSV profile" in failed["problem"]
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 3
        assert await conn.fetchval("select source from batches") == "drop_folder"
