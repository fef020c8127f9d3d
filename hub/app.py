"""The application factory: everything the service needs is built here, nothing at import."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hub.config import Settings
from hub.db import create_pool, migrate
from hub.web import api, health, openapi, pages
from hub.web.keys import DSN, POOL, SETTINGS
from hub.web.problems import problem_middleware


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(app[DSN], min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        app[POOL] = pool
        yield
    finally:
        await pool.close()


def create_app(settings: Settings, dsn: str) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[problem_middleware])
    app[SETTINGS] = settings
    app[DSN] = dsn
    app.cleanup_ctx.append(_database)
    app.router.add_get("/", pages.home)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/api/v1/openapi.json", openapi.get_openapi)
    app.router.add_routes(api.routes)
    return app
