"""Real peers on loopback for the hub to talk to, and free ports for them."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from hub.feedback.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WebhookReceiver:
    """A partner's webhook endpoint: checks each signature, then follows its plan per request
    ("fail": 500, "hang": answer after 1.5 s, "ok": accept); the last step repeats."""

    def __init__(self, secret: str, plan: list[str]) -> None:
        self.secret = secret
        self.plan = plan
        self.accepted: list[dict[str, Any]] = []
        self.seen = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers[TIMESTAMP_HEADER]
        if request.headers[SIGNATURE_HEADER] != sign(self.secret, stamp, body):
            return web.Response(status=401)
        step = self.plan[min(self.seen, len(self.plan) - 1)]
        self.seen += 1
        if step == "fail":
            return web.Response(status=500)
        if step == "hang":
            await asyncio.sleep(1.5)
        self.accepted.append(json.loads(body))
        return web.Response(status=204)


@asynccontextmanager
async def webhook_receiver(
    secret: str, plan: list[str] | None = None
) -> AsyncIterator[tuple[WebhookReceiver, str]]:
    """A receiver serving on loopback, and its URL."""
    hook = WebhookReceiver(secret, plan or ["ok"])
    app = web.Application()
    app.router.add_post("/feedback", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield hook, f"http://127.0.0.1:{port}/feedback"
    finally:
        await runner.cleanup()


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    """Wait until `check()` holds, polling; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not so within {seconds} s")
        await asyncio.sleep(0.05)
