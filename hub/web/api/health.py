"""Liveness, readiness and what Prometheus scrapes."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from aiohttp import web

from hub.feedback.obligations import overdue_count
from hub.platform import outbox
from hub.platform.config import is_loopback
from hub.platform.errors import Forbidden, Unauthorized, Unavailable
from hub.platform.metrics import exposition
from hub.platform.schema import pending_migrations
from hub.web.appkeys import POOL, SETTINGS

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers within a second and every migration is applied."""
    try:
        async with asyncio.timeout(1):
            pending = await pending_migrations(request.app[POOL])
    except (TimeoutError, OSError) as error:
        raise Unavailable("the database does not answer") from error
    if pending:
        raise Unavailable(f"{len(pending)} migration(s) not applied; run 'hub migrate'")
    return web.json_response({"status": "ready"})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format, only for `Bearer <HUB_METRICS_TOKEN>`; without that token set, only
    on a hub listening on loopback (the figures tell anyone the hub's volumes and backlogs)."""
    settings = request.app[SETTINGS]
    token = settings.metrics_token
    if token is None and not is_loopback(settings.host):
        raise Forbidden(
            "set HUB_METRICS_TOKEN to scrape /metrics from a hub that listens beyond loopback"
        )
    if token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Unauthorized("send the metrics token as 'Authorization: Bearer <token>'")
    pool = request.app[POOL]
    backlogs = await outbox.backlog(pool)
    body = exposition(
        {channel.value: (b.waiting, b.failing, b.dead) for channel, b in backlogs.items()},
        await overdue_count(pool, datetime.now(UTC)),
    )
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})
