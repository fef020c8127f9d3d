"""A second event loop, on a thread of its own, for long CPU-heavy work beside the requests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import asyncpg

from hub.platform.db import create_pool

T = TypeVar("T")


class WorkLoop:
    """An event loop on a thread of its own, with a small pool of its own, for work such as a
    CSV batch: a chunk of 500 rows is 20 - 50 ms of Python between two round trips (validation,
    sealing, digests, encoding), and on the serving loop every page and API call would wait that
    long (benchmarks/README.md). Work given to it runs there, interleaved as on any loop; the two
    loops share the interpreter, so the serving one waits a switch interval (5 ms), or for as
    long as a full pass of the cyclic collector takes (`hub.intake.batches.CHUNK_ROWS`).

    One thread for all such work, not one per batch, and one more for what it hands off
    (reading a file through): each thread that allocates much gets a memory arena of its own
    from the C library. Four of the largest batches at once took 719 MiB on four threads of
    their own, 628 MiB on one loop with two helpers, 518 MiB with one
    (tests/e2e/test_batch_crash_and_memory.py).
    A batch holds one connection from start to end, and a second one while the pool has two
    free (it then stores two chunks at a time): `connections` batches run at once, the next
    waits for one to finish. `stopping` is set when the hub stops: work that checks it pauses at
    its next step."""

    def __init__(self, dsn: str, connections: int = 4) -> None:
        self._dsn = dsn
        self._connections = connections
        self._loop = asyncio.new_event_loop()
        # Its helpers (parsing a file off the loop) on one thread, not a default pool's many:
        # each thread that allocates much holds on to a memory arena of its own.
        self._loop.set_default_executor(ThreadPoolExecutor(1, thread_name_prefix="work-loop"))
        self._thread = threading.Thread(target=self._serve, name="work-loop", daemon=True)
        self._pool: asyncpg.Pool | None = None
        self.stopping = threading.Event()

    def _serve(self) -> None:
        lower_priority_of_this_thread()
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _there(self, work: Awaitable[T]) -> T:
        async def run() -> T:
            return await work

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self._loop))

    async def start(self) -> None:
        self._thread.start()
        self._pool = await self._there(
            create_pool(self._dsn, min_size=1, max_size=self._connections)
        )

    async def run(self, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
        """`work(pool)` on the work loop, with its pool; its result (or its exception) here."""
        if self._pool is None:
            raise RuntimeError("the work loop has not started")
        pool = self._pool
        return await self._there(work(pool))

    async def close(self) -> None:
        """Stop: work that checks `stopping` pauses; then the pool closes and the thread ends."""
        self.stopping.set()
        if self._pool is not None:
            await self._there(self._pool.close())
        await self._there(self._loop.shutdown_default_executor())
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()


def lower_priority_of_this_thread(niceness: int = 10) -> None:
    """Let the operating system run this thread after the others of the process (Linux: a
    thread has a nice value of its own), so that with every core busy the serving loop still
    gets one when it needs it; elsewhere, or where not allowed, nothing changes."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
