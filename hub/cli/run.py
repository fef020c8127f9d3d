"""How a command reaches the hub's database, and how `serve` and `demo` serve."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from aiohttp import web

from hub.app import create_app
from hub.platform.config import Settings
from hub.platform.heap import frozen_while_serving
from hub.platform.logs import AccessLogger
from hub.startup import database, hub_database

T = TypeVar("T")


def with_pool(settings: Settings, dsn: str, use: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run one use case on a migrated database with the hub's keys, then close the pool."""

    async def run() -> T:
        async with hub_database(settings, dsn) as pool:
            return await use(pool)

    return asyncio.run(run())


def use(settings: Settings, use_case: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run one use case on the hub's database (embedded or `DATABASE_URL`)."""
    with database(settings) as dsn:
        return with_pool(settings, dsn, use_case)


def serve(settings: Settings, dsn: str, banner: str | None = None) -> None:
    def announce(text: str) -> None:
        print(banner or text, flush=True)

    app = create_app(settings, dsn)
    app.cleanup_ctx.append(frozen_while_serving)  # last: once everything else has started
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=announce,
        backlog=2048,  # a burst of connections waits in the kernel, not in SYN retries
        access_log_class=AccessLogger,
    )
