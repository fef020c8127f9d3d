"""Drop folders: a partner (or its file transfer) puts CSV files in its own folder.

`<drop root>/<partner id>/*.csv` is polled; each file is stored and processed as a batch, then
moved to `done/` or `failed/` beside a report (`<file>.report.json`) with the counts and the
problems per row. A file still being written (changed in the last seconds) waits a turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from hub.directory.service import partner_by_id
from hub.intake.batches import batch_view, process_batch, receive_batch
from hub.platform.errors import HubError
from schemas.batches import BatchStatus

if TYPE_CHECKING:
    import asyncpg

    from hub.intake.service import IntakePolicy

log = logging.getLogger(__name__)
SETTLE_SECONDS = 2.0


def partner_folder(root: Path, partner_id: UUID) -> Path:
    return root / str(partner_id)


def _ready_files(root: Path) -> list[tuple[UUID, Path]]:
    found: list[tuple[UUID, Path]] = []
    if not root.is_dir():
        return found
    now = time.time()
    for folder in sorted(root.iterdir()):
        try:
            partner_id = UUID(folder.name)
        except ValueError:
            continue
        for path in sorted(folder.glob("*.csv")):
            if path.is_file() and now - path.stat().st_mtime >= SETTLE_SECONDS:
                found.append((partner_id, path))
    return found


def _file_away(path: Path, outcome: str, report: dict[str, object]) -> None:
    target = path.parent / outcome
    target.mkdir(exist_ok=True)
    destination = target / path.name
    if destination.exists():
        destination = target / f"{path.stem}.{int(time.time())}{path.suffix}"
    (target / f"{destination.name}.report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    path.replace(destination)


async def poll_drop_folders(
    pool: asyncpg.Pool, root: Path, *, policy: IntakePolicy, public_url: str
) -> int:
    """Take in every settled file; returns how many were filed away."""
    handled = 0
    for partner_id, path in await asyncio.to_thread(_ready_files, root):
        partner = await partner_by_id(pool, partner_id)
        if partner is None:
            log.warning("drop folder %s belongs to no partner", path.parent.name)
            continue
        content = await asyncio.to_thread(path.read_bytes)
        try:
            received = await receive_batch(
                pool, partner, content, filename=path.name, source="drop_folder", profile_name=None
            )
        except HubError as error:
            await asyncio.to_thread(
                _file_away, path, "failed", {"status": "failed", "problem": error.detail}
            )
            handled += 1
            continue
        await process_batch(pool, received.view.id, policy=policy, public_url=public_url)
        view = await batch_view(pool, partner, received.view.id)
        outcome = "done" if view.status is BatchStatus.DONE else "failed"
        await asyncio.to_thread(_file_away, path, outcome, view.model_dump(mode="json"))
        log.info("drop folder file filed in %s as batch %s", outcome, view.id)
        handled += 1
    return handled
