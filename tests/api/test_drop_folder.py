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


async def test_links_are_not_followed_in_or_out(haarlem: asyncpg.Pool, tmp_path: Path) -> None:
    """A drop folder is the partner's; a link in it must not make the hub read or write
    anywhere else on the machine."""
    from hub.intake.dropfolder import poll_drop_folders
    from hub.intake.service import IntakePolicy

    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    other, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "geheim.csv"
    secret.write_bytes(MIXED)
    drop = tmp_path / "drop"
    folder = drop / str(housing.id)
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(secret)  # a file that is a link
    (folder / "done").symlink_to(outside)  # where reports would be written
    real = folder / "echt.csv"
    real.write_bytes(MIXED)
    (drop / str(other.id)).symlink_to(outside)  # a whole folder that is a link
    for path in (real, secret):
        settle(path)

    handled = await poll_drop_folders(
        haarlem, drop, policy=IntakePolicy(), public_url="https://hub.example", max_bytes=1 << 20
    )
    assert handled == 0  # the real file was processed, but its done/ is a link: it stays
    assert sorted(p.name for p in outside.iterdir()) == ["geheim.csv"]  # nothing written there
    assert secret.read_bytes() == MIXED
    async with haarlem.acquire() as conn:
        sources = await conn.fetch("select partner_id from batches")
    assert [row["partner_id"] for row in sources] == [housing.id]  # only the real file was read


async def test_a_poison_file_fails_alone(haarlem: asyncpg.Pool, tmp_path: Path) -> None:
    """A file the CSV reader cannot read (a field over 128 KiB) fails with its line; the next
    partner's file is taken in all the same."""
    from hub.intake.dropfolder import poll_drop_folders
    from hub.intake.service import IntakePolicy
    from tests.support.batches import HEADER

    poisoner, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    drop = tmp_path / "drop"
    poison = drop / str(poisoner.id) / "gif.csv"
    good = drop / str(housing.id) / "goed.csv"
    poison.parent.mkdir(parents=True)
    good.parent.mkdir(parents=True)
    poison.write_bytes(f"{HEADER}\r\nX;2034 AB;1;;{'a' * 200_000};100;\r\n".encode())
    good.write_bytes(MIXED)
    settle(poison)
    settle(good)
    handled = await poll_drop_folders(
        haarlem, drop, policy=IntakePolicy(), public_url="https://hub.example", max_bytes=1 << 20
    )
    assert handled == 2
    report = json.loads((poison.parent / "failed" / "gif.csv.report.json").read_text())
    assert report["status"] == "failed"
    assert "line 2" in report["problems"][0]["reason"]
    assert (good.parent / "done" / "goed.csv").exists()
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 3
