"""Bounded work: one process takes on at most `max_in_flight` requests at a time. Beyond that it
answers 503 with Retry-After at once, instead of queueing without limit (and without memory bound)
while every client's wait grows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from hub.errors import Unavailable

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Probes must see the truth even when the hub is busy.
EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def bounded(limit: int) -> Middleware:
    in_flight = 0

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        if request.path in EXEMPT:
            return await handler(request)
        if in_flight >= limit:
            raise Unavailable("the hub is at capacity; try again in a moment")
        in_flight += 1
        try:
            return await handler(request)
        finally:
            in_flight -= 1

    return middleware
