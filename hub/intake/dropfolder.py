"""Drop folders: a partner (or its file transfer) puts CSV files in its own folder.

`<drop root>/<partner id>/*.csv` is polled; each file is stored and processed as a batch, then
moved to `done/` or `failed/` beside a report (`<file>.report.json`) with the counts and the
problems per row. A file still being written (changed in the last seconds) waits a turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
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
    """Settled `*.csv` files in the partners' folders. A folder or a file that is a symbolic
    link is passed over: it could point anywhere on this machine."""
    found: list[tuple[UUID, Path]] = []
    if not root.is_dir():
        return found
    now = time.time()
    for folder in sorted(root.iterdir()):
        try:
            partner_id = UUID(folder.name)
        except ValueError:
            continue
        if folder.is_symlink() or not folder.is_dir():
            log.warning("drop folder %s is a link or no folder; passed over", folder.name)
            continue
        for path in sorted(folder.glob("*.csv")):
            if path.is_symlink():
                log.warning("a link in drop folder %s is not taken", folder.name)
                continue
            if path.is_file() and now - path.lstat().st_mtime >= SETTLE_SECONDS:
                found.append((partner_id, path))
    return found


def _read(path: Path, limit: int) -> bytes | None:
    """The file's bytes, read without following a link; None if it is larger than `limit`."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def _file_away(path: Path, outcome: str, report: dict[str, object]) -> bool:
    """Move the file to `done/` or `failed/` beside a report, both inside the partner's folder
    (a `done` or `failed` that is a link is not written into)."""
    target = path.parent / outcome
    if target.is_symlink():
        log.warning("drop folder %s: %s/ is a link; the file stays", path.parent.name, outcome)
        return False
    target.mkdir(exist_ok=True)
    destination = target / path.name
    if destination.exists() or destination.is_symlink():
        destination = target / f"{path.stem}.{time.time_ns()}{path.suffix}"
    report_path = target / f"{destination.name}.report.json"
    descriptor = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, ensure_ascii=False, default=str)
    path.replace(destination)
    return True


async def poll_drop_folders(
    pool: asyncpg.Pool,
    root: Path,
    *,
    policy: IntakePolicy,
    public_url: str,
    max_bytes: int,
    stop: threading.Event | None = None,
) -> int:
    """Take in every settled file, each on its own (one that cannot be taken in is filed in
    `failed/` and harms no other); returns how many were filed away. With `stop` set, the
    batch under way pauses after its chunk and its file waits for the next poll."""
    handled = 0
    for partner_id, path in await asyncio.to_thread(_ready_files, root):
        if stop is not None and stop.is_set():
            break
        try:
            handled += await _take_in(pool, partner_id, path, policy, public_url, max_bytes, stop)
        except Exception:
            log.exception("a file in drop folder %s could not be taken in", path.parent.name)
            handled += await asyncio.to_thread(
                _file_away,
                path,
                "failed",
                {"status": "failed", "problem": "the file could not be taken in (see the log)"},
            )
    return handled


async def _take_in(
    pool: asyncpg.Pool,
    partner_id: UUID,
    path: Path,
    policy: IntakePolicy,
    public_url: str,
    max_bytes: int,
    stop: threading.Event | None,
) -> int:
    partner = await partner_by_id(pool, partner_id)
    if partner is None:
        log.warning("drop folder %s belongs to no partner", path.parent.name)
        return 0
    content = await asyncio.to_thread(_read, path, max_bytes)
    if content is None:
        problem = f"the file is larger than {max_bytes // (1024 * 1024)} MiB"
        return int(
            await asyncio.to_thread(
                _file_away, path, "failed", {"status": "failed", "problem": problem}
            )
        )
    try:
        received = await receive_batch(
            pool, partner, content, filename=path.name, source="drop_folder", profile_name=None
        )
    except HubError as error:
        return int(
            await asyncio.to_thread(
                _file_away, path, "failed", {"status": "failed", "problem": error.detail}
            )
        )
    await process_batch(pool, received.view.id, policy=policy, public_url=public_url, stop=stop)
    view = await batch_view(pool, partner, received.view.id)
    if view.status is BatchStatus.PENDING:  # another batch of this partner goes first
        return 0
    outcome = "done" if view.status is BatchStatus.DONE else "failed"
    filed = await asyncio.to_thread(_file_away, path, outcome, view.model_dump(mode="json"))
    log.info("drop folder file processed as batch %s (%s)", view.id, outcome)
    return int(filed)
