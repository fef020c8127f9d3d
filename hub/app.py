"""The application factory: everything the service needs is built here, nothing at import."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from hub.directory.oidc import Provider
from hub.directory.throttle import Gate
from hub.intake.groupcommit import GroupCommit
from hub.intake.service import policy_of
from hub.jobs import jobs
from hub.platform.config import Settings, public_url
from hub.platform.outbound import OutboundClient, rules_of
from hub.platform.ratelimit import TokenBuckets
from hub.platform.scheduler import Scheduler
from hub.platform.workloop import WorkLoop
from hub.startup import hub_database
from hub.web import api, pages
from hub.web.access import TOKENS
from hub.web.appkeys import (
    DSN,
    INTAKE,
    LIMITS,
    LOGIN_GATE,
    POOL,
    SETTINGS,
    SSO,
    SURVEY_LIMITS,
    TASKS,
    TEMPLATES,
    UPLOADS,
    WORK,
)
from hub.web.middlewares import middlewares, security_headers
from hub.web.render import template_environment
from hub.web.tokens import TokenCache


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with hub_database(
        settings, app[DSN], min_size=settings.db_pool_min, max_size=settings.db_pool_max
    ) as pool:
        app[POOL] = pool
        yield


async def _work_loop(app: web.Application) -> AsyncIterator[None]:
    """The loop of its own that CSV batches run on (`hub.platform.workloop`)."""
    app[WORK] = WorkLoop(app[DSN])
    await app[WORK].start()
    yield
    await app[WORK].close()


async def _group_commit(app: web.Application) -> AsyncIterator[None]:
    """Single signals from the API share transactions; drained before the pool closes."""
    settings = app[SETTINGS]
    app[INTAKE] = GroupCommit(app[POOL], policy_of(settings), public_url=public_url(settings))
    yield
    await app[INTAKE].close()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    """Scheduled jobs (APScheduler 3 needs a running loop to start); the runs under way finish
    before the HTTP session and the pool close."""
    settings = app[SETTINGS]
    if not settings.scheduler:
        yield
        return
    async with OutboundClient(rules_of(settings)) as outbound:
        scheduler = Scheduler(app[POOL], jobs(settings, app[POOL], outbound, app[WORK]))
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()


async def _background_tasks(app: web.Application) -> AsyncIterator[None]:
    """Work started beside a request (batch processing) is awaited before the pool closes."""
    yield
    app[WORK].stopping.set()  # a batch on the work loop pauses after the chunk it is storing
    tasks: set[asyncio.Task[object]] = app[TASKS]
    if tasks:
        await asyncio.wait(tasks, timeout=30)


def create_app(settings: Settings, dsn: str) -> web.Application:
    # Each route enforces its own body limit (64 KiB for a signal, more for a CSV batch).
    app = web.Application(
        client_max_size=max(settings.max_body_bytes, settings.max_batch_bytes),
        middlewares=middlewares(settings.max_in_flight),
    )
    app[SETTINGS] = settings
    app[DSN] = dsn
    app[TASKS] = set()
    app[UPLOADS] = Counter()
    app[LIMITS] = TokenBuckets(settings.partner_rate_per_minute, settings.partner_rate_burst)
    # The partner survey's page needs no login: a client address gets a person's pace, with room
    # for several people of one organisation behind one address.
    app[SURVEY_LIMITS] = TokenBuckets(per_minute=60, burst=30)
    app[LOGIN_GATE] = Gate()
    app[TOKENS] = TokenCache(settings.token_cache_seconds)
    app[TEMPLATES] = template_environment()
    if settings.oidc_issuer:
        if not settings.oidc_client_id or not settings.oidc_client_secret:
            raise ValueError("HUB_OIDC_ISSUER needs HUB_OIDC_CLIENT_ID and HUB_OIDC_CLIENT_SECRET")
        app[SSO] = Provider(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret.get_secret_value(),
            settings.oidc_scopes,
        )
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_work_loop)
    app.cleanup_ctx.append(_group_commit)
    app.cleanup_ctx.append(_scheduler)
    app.cleanup_ctx.append(_background_tasks)
    app.router.add_routes(api.routes())
    app.router.add_routes(pages.routes())
    app.router.add_static("/static", Path(__file__).parent / "web" / "static")
    return app
