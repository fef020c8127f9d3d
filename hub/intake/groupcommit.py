"""Group commit for single signals: concurrent requests share one transaction.

Each request puts its signal on a queue and waits. A few workers each take whatever is queued
(up to `max_group`), store it with the bulk intake path in one transaction and commit, then
answer every request of the group: a request is answered only after its signal is committed,
exactly as with a transaction of its own, so a 202 still survives a crash. Under light load a
group is one signal and nothing waits; under heavy load the ~20 round trips and the commit of the
intake path are shared by many signals.

If a group's transaction fails for anything but the database being unreachable, its signals are
stored again one by one, so one signal's trouble is never another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg

from hub.intake.service import (
    DEFAULT_POLICY,
    DEFAULT_PUBLIC_URL,
    IntakePolicy,
    Refusal,
    Submitted,
    record_intake,
    store_signals,
)

if TYPE_CHECKING:
    from hub.directory.models import Partner
    from schemas.signals import SignalIn

log = logging.getLogger(__name__)
UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
)


@dataclass
class _Item:
    partner: Partner
    signal: SignalIn
    started: float
    answer: asyncio.Future[Submitted] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(
        self,
        pool: asyncpg.Pool,
        policy: IntakePolicy = DEFAULT_POLICY,
        *,
        public_url: str = DEFAULT_PUBLIC_URL,
        workers: int = 4,
        max_group: int = 256,
        channel: str = "api",
    ) -> None:
        self._pool = pool
        self._policy = policy
        self._public_url = public_url
        self._max_group = max_group
        self._channel = channel
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self.transactions = 0  # how many groups were committed (for tests and curiosity)
        self._workers = [asyncio.create_task(self._work()) for _ in range(workers)]

    async def submit(self, partner: Partner, signal: SignalIn) -> Submitted:
        """Store one signal (with others that arrive meanwhile); raises its Refusal (a kind not
        the partner's, a reference used before for other content)."""
        item = _Item(partner, signal, time.monotonic())
        await self._queue.put(item)
        return await item.answer

    async def close(self) -> None:
        """Finish what is queued, then stop the workers."""
        await self._queue.join()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _work(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < self._max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                await self._store(group)
            finally:
                for _ in group:
                    self._queue.task_done()

    async def _store(self, group: list[_Item]) -> None:
        try:
            results = await self._transaction(group)
        except UNREACHABLE as error:
            for item in group:
                _fail(item, error)
            return
        except Exception:
            if len(group) == 1:
                log.exception("storing a signal failed")
                _fail(group[0], None)
                return
            log.warning("a group of %d signals failed; storing them one by one", len(group))
            for item in group:
                await self._store([item])
            return
        for item, result in zip(group, results, strict=True):
            if not isinstance(result, Submitted):
                _fail(item, result)
            else:
                record_intake(
                    self._channel, item.partner.kind, [result], time.monotonic() - item.started
                )
                if not item.answer.done():
                    item.answer.set_result(result)

    async def _transaction(self, group: list[_Item]) -> list[Submitted | Refusal]:
        by_partner: dict[object, list[int]] = defaultdict(list)
        for index, item in enumerate(group):
            by_partner[item.partner.id].append(index)
        results: list[Submitted | Refusal | None] = [None] * len(group)
        self.transactions += 1
        async with self._pool.acquire() as conn, conn.transaction():
            for indexes in by_partner.values():
                partner = group[indexes[0]].partner
                stored = await store_signals(
                    conn,
                    partner,
                    [group[i].signal for i in indexes],
                    policy=self._policy,
                    public_url=self._public_url,
                )
                for index, result in zip(indexes, stored, strict=True):
                    results[index] = result
        return [result for result in results if result is not None]


def _fail(item: _Item, error: BaseException | None) -> None:
    if not item.answer.done():
        item.answer.set_exception(error or RuntimeError("storing the signal failed"))
