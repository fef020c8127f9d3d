"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from hub.db import pending_migrations
from hub.errors import Unauthorized, Unavailable
from hub.logs import REQUEST_ID, REQUEST_KEY
from hub.metrics import REQUEST_SECONDS, exposition
from hub.web.keys import POOL, SETTINGS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format; with HUB_METRICS_TOKEN set, only for `Bearer <that token>`."""
    token = request.app[SETTINGS].metrics_token
    if token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Unauthorized("send the metrics token as 'Authorization: Bearer <token>'")
    body = await exposition(request.app[POOL])
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


@web.middleware
async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time every request by its route pattern (`/api/v1/cases/{id}`, never an id)."""
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        REQUEST_SECONDS.labels(route, request.method, str(status)).observe(
            time.monotonic() - started
        )


_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request gets an id (the caller's X-Request-Id if it is a sane one), in each log line
    about it and in the answer's X-Request-Id, so a partner's report can be found in the logs."""
    given = request.headers.get("X-Request-Id", "")
    value = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
    request[REQUEST_KEY] = value
    REQUEST_ID.set(value)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers["X-Request-Id"] = value
        raise
    response.headers["X-Request-Id"] = value
    return response
