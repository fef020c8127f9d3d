"""Feedback delivered to partners' webhooks: each message signed with the partner's secret.

`POST` with `X-Hub-Timestamp` and `X-Hub-Signature-256: sha256=HMAC(secret, "<timestamp>.<body>")`;
a receiver checks the signature and rejects old timestamps. `X-Hub-Delivery` names the message
and is the same for every attempt at it (the outbox retries with backoff): a receiver
deduplicates by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp

from hub.directory.service import require_partner
from hub.feedback import store
from hub.platform.outbox import Channel, Due, deliver

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
DELIVERY_HEADER = "X-Hub-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body`: the timestamp is signed, so a replay is detectable."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def set_webhook(pool: asyncpg.Pool, partner_name: str, url: str) -> str:
    """Point a partner's feedback at `url`; returns the new signing secret (shown once)."""
    partner = await require_partner(pool, partner_name)
    secret = secrets.token_urlsafe(32)
    async with pool.acquire() as conn:
        await store.set_webhook(conn, partner.id, url, secret)
    return secret


async def deliver_feedback(
    pool: asyncpg.Pool,
    session: aiohttp.ClientSession,
    now: datetime,
    *,
    limit: int = 50,
    timeout_seconds: float = 10,
) -> int:
    """Send due feedback to partners' webhooks; returns how many were delivered."""

    async def send(due: Sequence[Due]) -> list[str | None]:
        async with pool.acquire() as conn:
            hooks = await store.webhooks(conn, sorted({m.partner_id for m in due if m.partner_id}))
        outcomes: list[str | None] = []
        for message in due:
            hook = hooks.get(message.partner_id) if message.partner_id else None
            if hook is None:
                outcomes.append("no webhook")
                continue
            url, secret = hook
            body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
            stamp = str(int(now.timestamp()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(secret, stamp, body),
                DELIVERY_HEADER: message.delivery_id,
            }
            error: str | None = None
            try:
                async with session.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout_seconds),
                ) as response:
                    if response.status >= 300:
                        error = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as failure:
                error = type(failure).__name__
            if error is not None:
                log.info("feedback %s not delivered (%s)", message.id, error)
            outcomes.append(error)
        return outcomes

    return await deliver(
        pool, Channel.WEBHOOK, send, now, limit=limit, lease_seconds=int(timeout_seconds) * 3
    )
