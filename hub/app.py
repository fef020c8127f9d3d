"""The application factory: everything the service needs is built here, nothing at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from hub.config import Settings
from hub.db import create_pool, migrate
from hub.groupcommit import GroupCommit
from hub.intake import policy_of
from hub.keys import prepare_keys
from hub.oidc import Provider
from hub.ratelimit import TokenBuckets
from hub.scheduler import scheduler_ctx
from hub.web import api, fhir, health, inbox, network_page, openapi, pages, reports, sso
from hub.web.access import TOKENS, access_control
from hub.web.keys import DSN, INTAKE, LIMITS, POOL, SETTINGS, SSO, TASKS, TEMPLATES
from hub.web.load import bounded
from hub.web.problems import problem_middleware
from hub.web.tokens import TokenCache


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(app[DSN], min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        await prepare_keys(pool, settings)
        app[POOL] = pool
        yield
    finally:
        await pool.close()


async def _group_commit(app: web.Application) -> AsyncIterator[None]:
    """Single signals from the API share transactions; drained before the pool closes."""
    app[INTAKE] = GroupCommit(app[POOL], policy_of(app[SETTINGS]))
    yield
    await app[INTAKE].close()


async def _background_tasks(app: web.Application) -> AsyncIterator[None]:
    """Work started beside a request (batch processing) is awaited before the pool closes."""
    yield
    tasks: set[asyncio.Task[object]] = app[TASKS]
    if tasks:
        await asyncio.wait(tasks, timeout=30)


def create_app(settings: Settings, dsn: str) -> web.Application:
    # Each route enforces its own body limit (64 KiB for a signal, more for a CSV batch).
    app = web.Application(
        client_max_size=max(settings.max_body_bytes, settings.max_batch_bytes),
        middlewares=[
            health.request_id,
            health.measure,
            pages.security_headers,
            problem_middleware,
            bounded(settings.max_in_flight),
            pages.page_errors,
            pages.form_limit,
            access_control,
        ],
    )
    app[SETTINGS] = settings
    app[DSN] = dsn
    app[TASKS] = set()
    app[LIMITS] = TokenBuckets(settings.partner_rate_per_minute, settings.partner_rate_burst)
    app[TOKENS] = TokenCache(settings.token_cache_seconds)
    app[TEMPLATES] = pages.template_environment()
    if settings.oidc_issuer:
        if not settings.oidc_client_id or not settings.oidc_client_secret:
            raise ValueError("HUB_OIDC_ISSUER needs HUB_OIDC_CLIENT_ID and HUB_OIDC_CLIENT_SECRET")
        app[SSO] = Provider(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret.get_secret_value(),
            settings.oidc_scopes,
        )
    inbox.install_template_helpers(app[TEMPLATES])
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_group_commit)
    app.cleanup_ctx.append(scheduler_ctx)
    app.cleanup_ctx.append(_background_tasks)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_get("/api/v1/openapi.json", openapi.get_openapi)
    app.router.add_routes(api.routes)
    app.router.add_routes(fhir.routes)
    app.router.add_routes(pages.routes)
    app.router.add_routes(sso.routes)
    app.router.add_routes(inbox.routes)
    app.router.add_routes(reports.routes)
    app.router.add_routes(network_page.routes)
    app.router.add_static("/static", Path(__file__).parent / "web" / "static")
    return app
