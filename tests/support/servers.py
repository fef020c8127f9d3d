"""Real peers on loopback for the hub to talk to, and free ports for them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from hub.feedback import store as feedback_store
from hub.feedback.delivery import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from hub.platform.connection import Connection
from hub.platform.outbound import OutboundClient, OutboundRules
from hub.privacy.sealed import seal_webhook_secret

# Tests' receivers listen on loopback over plain HTTP, which a real hub refuses.
LOOPBACK_RULES = OutboundRules(allow_http=True, allow_private=True)


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
        self.delivery_ids: list[str] = []
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
        self.delivery_ids.append(request.headers[DELIVERY_HEADER])
        return web.Response(status=204)


@asynccontextmanager
async def webhook_receiver(
    secret: str, plan: list[str] | None = None
) -> AsyncIterator[tuple[WebhookReceiver, str]]:
    """A receiver serving on loopback, and its URL."""
    hook = WebhookReceiver(secret, plan or ["ok"])
    app = web.Application()
    app.router.add_post("/feedback", hook.handle)
    async with serving(app) as base:
        yield hook, f"{base}/feedback"


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` served on a free loopback port; its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Listener:
    """Counts TCP connections to a port on loopback (IPv4 and, where the machine has it,
    IPv6), closing each at once: proof of whether anything connected at all."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = free_port()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@asynccontextmanager
async def listener() -> AsyncIterator[Listener]:
    counter = Listener()
    servers = [await asyncio.start_server(counter._accept, "127.0.0.1", counter.port)]
    with contextlib.suppress(OSError):  # unless the machine has no IPv6 loopback
        servers.append(await asyncio.start_server(counter._accept, "::1", counter.port))
    try:
        yield counter
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


async def give_webhook(conn: Connection, partner_id: Any, url: str, secret: str) -> None:
    """Point a partner's feedback at a test receiver, as `hub partner webhook` would with
    development settings, but with a secret the receiver knows."""
    await feedback_store.set_webhook(conn, partner_id, url, seal_webhook_secret(secret, partner_id))


def loopback_client() -> OutboundClient:
    return OutboundClient(LOOPBACK_RULES)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    """Wait until `check()` holds, polling; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not so within {seconds} s")
        await asyncio.sleep(0.05)
