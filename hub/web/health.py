"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hub.db import pending_migrations
from hub.errors import Unavailable
from hub.web.keys import POOL


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers within a second and every migration is applied."""
    try:
        async with asyncio.timeout(1):
            async with request.app[POOL].acquire() as conn:
                pending = await pending_migrations(conn)
    except (TimeoutError, OSError) as error:
        raise Unavailable("the database does not answer") from error
    if pending:
        raise Unavailable(f"{len(pending)} migration(s) not applied; run 'hub migrate'")
    return web.json_response({"status": "ready"})
