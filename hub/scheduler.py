"""Scheduled jobs (APScheduler): thin, idempotent, and each run by one hub instance at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from hub.batches import process_pending
from hub.config import drop_root
from hub.dropfolder import poll_drop_folders
from hub.feedback import deliver_feedback, sweep
from hub.intake import policy_of
from hub.mail import deliver_mail
from hub.metrics import JOB_RUNS, JOB_SECONDS
from hub.network import snapshot
from hub.retention import apply_retention
from hub.retention import policy_of as retention_policy
from hub.store import Connection
from hub.web.keys import POOL, RUNNING_JOBS, SETTINGS
from hub.workdays import LOCAL_TIME

log = logging.getLogger(__name__)

# Advisory lock keys, one per job, the same in every hub process.
LOCK_PENDING_BATCHES = 0x5348_0001
LOCK_DROP_FOLDERS = 0x5348_0002
LOCK_MAIL = 0x5348_0003
LOCK_FEEDBACK = 0x5348_0004
LOCK_SWEEP = 0x5348_0005
LOCK_SNAPSHOT = 0x5348_0006
LOCK_RETENTION = 0x5348_0007
# Each job's name in metrics and in `job_ticks`.
JOB_NAMES = {
    LOCK_PENDING_BATCHES: "batches.pending",
    LOCK_DROP_FOLDERS: "drop_folders",
    LOCK_MAIL: "mail.deliver",
    LOCK_FEEDBACK: "feedback.deliver",
    LOCK_SWEEP: "feedback.sweep",
    LOCK_SNAPSHOT: "network.snapshot",
    LOCK_RETENTION: "retention",
}


async def run_once_across_instances(
    app: web.Application,
    lock: int,
    job: Callable[[], Awaitable[object]],
    *,
    period: float | None = None,
) -> None:
    """Run `job` once per tick (of `period` seconds) across all hub instances, never two runs
    at a time; count and time the run. Without a period: whenever no run is going on."""
    name = JOB_NAMES[lock]
    async with app[POOL].acquire() as conn:
        if not await conn.fetchval("select pg_try_advisory_lock($1)", lock):
            JOB_RUNS.labels(name, "skipped").inc()
            return
        if period is not None and not await _claim_tick(conn, name, int(time.time() // period)):
            await conn.execute("select pg_advisory_unlock($1)", lock)
            JOB_RUNS.labels(name, "skipped").inc()
            return
        started = time.monotonic()
        running = app.get(RUNNING_JOBS)
        task = asyncio.current_task()
        if running is not None and task is not None:
            running.add(task)
        try:
            await job()
        except Exception:
            JOB_RUNS.labels(name, "failed").inc()
            raise
        else:
            JOB_RUNS.labels(name, "done").inc()
        finally:
            JOB_SECONDS.labels(name).observe(time.monotonic() - started)
            await conn.execute("select pg_advisory_unlock($1)", lock)
            if running is not None and task is not None:
                running.discard(task)


async def _claim_tick(conn: Connection, job: str, tick: int) -> bool:
    """True for the one instance that claims this tick of the job."""
    claimed = await conn.fetchval(
        """
        insert into job_ticks (job, tick) values ($1, $2)
        on conflict (job) do update set tick = excluded.tick, claimed_at = now()
            where job_ticks.tick < excluded.tick
        returning true
        """,
        job,
        tick,
    )
    return bool(claimed)


DAY = 24 * 60 * 60


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.scheduler:
        yield
        return
    policy = policy_of(settings)
    pool = app[POOL]
    running: set[asyncio.Task[object]] = set()
    app[RUNNING_JOBS] = running
    scheduler = AsyncIOScheduler(timezone="Europe/Amsterdam")

    async def pending_batches() -> None:
        await run_once_across_instances(
            app,
            LOCK_PENDING_BATCHES,
            lambda: process_pending(pool, policy=policy),
            period=settings.batch_poll_seconds,
        )

    async def drop_folders() -> None:
        await run_once_across_instances(
            app,
            LOCK_DROP_FOLDERS,
            lambda: poll_drop_folders(pool, drop_root(settings), policy=policy),
            period=settings.drop_poll_seconds,
        )

    common = {"trigger": "interval", "max_instances": 1, "coalesce": True}
    scheduler.add_job(
        pending_batches, id="batches.pending", seconds=settings.batch_poll_seconds, **common
    )
    scheduler.add_job(
        drop_folders, id="batches.drop_folders", seconds=settings.drop_poll_seconds, **common
    )
    session = aiohttp.ClientSession()

    async def feedback() -> None:
        await run_once_across_instances(
            app,
            LOCK_FEEDBACK,
            lambda: deliver_feedback(pool, session, datetime.now(UTC)),
            period=settings.feedback_poll_seconds,
        )

    async def obligations() -> None:
        await run_once_across_instances(
            app,
            LOCK_SWEEP,
            lambda: sweep(pool, datetime.now(UTC), policy.public_url),
            period=settings.sweep_seconds,
        )

    scheduler.add_job(
        feedback, id="feedback.deliver", seconds=settings.feedback_poll_seconds, **common
    )
    scheduler.add_job(obligations, id="feedback.sweep", seconds=settings.sweep_seconds, **common)

    async def nightly_snapshot() -> None:
        day = datetime.now(LOCAL_TIME).date()
        await run_once_across_instances(app, LOCK_SNAPSHOT, lambda: snapshot(pool, day), period=DAY)

    scheduler.add_job(
        nightly_snapshot,
        "cron",
        id="network.snapshot",
        hour=2,
        minute=30,
        max_instances=1,
        coalesce=True,
    )

    async def nightly_retention() -> None:
        policy = retention_policy(settings)
        await run_once_across_instances(
            app,
            LOCK_RETENTION,
            lambda: apply_retention(pool, policy, datetime.now(UTC)),
            period=DAY,
        )

    scheduler.add_job(
        nightly_retention,
        "cron",
        id="retention",
        hour=3,
        minute=15,
        max_instances=1,
        coalesce=True,
    )
    if settings.smtp_host:

        async def mail() -> None:
            await run_once_across_instances(
                app,
                LOCK_MAIL,
                lambda: deliver_mail(pool, settings),
                period=settings.mail_poll_seconds,
            )

        scheduler.add_job(mail, id="mail.deliver", seconds=settings.mail_poll_seconds, **common)
    scheduler.start()
    try:
        yield
    finally:
        # No new runs; the ones going on finish before the pool and the HTTP session close.
        scheduler.shutdown(wait=False)
        if running:
            await asyncio.wait(set(running), timeout=30)
        await session.close()
