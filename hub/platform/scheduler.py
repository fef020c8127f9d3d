"""Scheduled jobs (APScheduler): thin, idempotent, and each run by one hub instance at a time.

Jobs are declared once, as a table of `Job`s (see `hub.jobs`): a name (in metrics, logs and
`job_ticks`), an advisory lock key, a trigger, and what to run. A run of a periodic job belongs
to a tick of its period: the instance that claims the tick in `job_ticks` runs it, the others
skip it, and the advisory lock keeps two runs from overlapping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import time as clock_time
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from hub.platform.clock import LOCAL_TIME
from hub.platform.locks import try_advisory_lock
from hub.platform.metrics import JOB_RUNS, JOB_SECONDS
from hub.platform.store import jobs as store

if TYPE_CHECKING:
    import asyncpg

DAY = 24 * 60 * 60
GRACE_SECONDS = 30  # how long a stopping hub waits for the runs under way


@dataclass(frozen=True)
class Every:
    """Run every `seconds`."""

    seconds: float


@dataclass(frozen=True)
class Daily:
    """Run once a day at `at`, Dutch time."""

    at: clock_time


@dataclass(frozen=True)
class Job:
    name: str
    lock: int  # an advisory lock key, the same in every hub process
    trigger: Every | Daily
    run: Callable[[], Awaitable[object]]

    @property
    def period(self) -> float:
        return self.trigger.seconds if isinstance(self.trigger, Every) else DAY


async def run_once_across_instances(pool: asyncpg.Pool, job: Job) -> bool:
    """Run `job` unless another instance runs it or has run this tick; count and time the run.
    Returns whether it ran here."""
    async with pool.acquire() as conn, try_advisory_lock(conn, job.lock) as taken:
        if not taken or not await store.claim_tick(conn, job.name, int(time.time() // job.period)):
            JOB_RUNS.labels(job.name, "skipped").inc()
            return False
        started = time.monotonic()
        try:
            await job.run()
        except Exception:
            JOB_RUNS.labels(job.name, "failed").inc()
            raise
        else:
            JOB_RUNS.labels(job.name, "done").inc()
        finally:
            JOB_SECONDS.labels(job.name).observe(time.monotonic() - started)
    return True


class Scheduler:
    """Runs the jobs on their triggers; `stop` lets the runs under way finish."""

    def __init__(self, pool: asyncpg.Pool, jobs: Sequence[Job]) -> None:
        self._pool = pool
        self._jobs = list(jobs)
        self._running: set[asyncio.Task[object]] = set()
        self._scheduler = AsyncIOScheduler(timezone=str(LOCAL_TIME))

    def start(self) -> None:
        """Start the jobs (needs a running event loop)."""
        for job in self._jobs:
            if isinstance(job.trigger, Every):
                self._scheduler.add_job(
                    self._runner(job),
                    "interval",
                    id=job.name,
                    seconds=job.trigger.seconds,
                    max_instances=1,
                    coalesce=True,
                )
            else:
                self._scheduler.add_job(
                    self._runner(job),
                    "cron",
                    id=job.name,
                    hour=job.trigger.at.hour,
                    minute=job.trigger.at.minute,
                    max_instances=1,
                    coalesce=True,
                )
        self._scheduler.start()

    def _runner(self, job: Job) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await run_once_across_instances(self._pool, job)
            finally:
                if task is not None:
                    self._running.discard(task)

        return run

    async def stop(self) -> None:
        """No new runs; wait (up to `GRACE_SECONDS`) for the ones going on."""
        self._scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=GRACE_SECONDS)
