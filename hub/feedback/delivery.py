"""Feedback delivered to partners' webhooks: each message signed with the partner's secret.

`POST` with `X-Hub-Timestamp` and `X-Hub-Signature-256: sha256=HMAC(secret, "<timestamp>.<body>")`;
a receiver checks the signature and rejects old timestamps. `X-Hub-Delivery` names the message
and is the same for every attempt at it (the outbox retries with backoff): a receiver
deduplicates by it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from hub.directory.service import require_partner
from hub.feedback import store
from hub.platform.outbound import OutboundClient, OutboundRules, check_target
from hub.platform.outbox import NOT_TRIED, Channel, Due, Skipped, deliver
from hub.privacy.sealed import open_webhook_secret, seal_webhook_secret

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
DELIVERY_HEADER = "X-Hub-Delivery"
PER_PARTNER = 10  # messages of one partner in one run, sent one after another


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body`: the timestamp is signed, so a replay is detectable."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def set_webhook(pool: asyncpg.Pool, partner_name: str, url: str, rules: OutboundRules) -> str:
    """Point a partner's feedback at `url` (refused, with nothing sent, unless `rules` allow it;
    `hub.platform.outbound`); returns the new signing secret, shown once and stored sealed."""
    partner = await require_partner(pool, partner_name)
    await check_target(url, rules)
    secret = secrets.token_urlsafe(32)
    async with pool.acquire() as conn:
        await store.set_webhook(conn, partner.id, url, seal_webhook_secret(secret, partner.id))
    return secret


async def deliver_feedback(
    pool: asyncpg.Pool,
    client: OutboundClient,
    now: datetime,
    *,
    limit: int = 50,
    timeout_seconds: float = 10,
    run_seconds: float | None = None,
) -> int:
    """Send due feedback to partners' webhooks; returns how many were delivered.

    Partners are served side by side (at most `client.in_flight` requests at once), each
    partner's messages one after another, at most `PER_PARTNER` of them per run. A partner
    whose receiver fails gets the same failure for the rest of its messages in this run (they
    retry with backoff); what the run has not reached after `run_seconds` (default twice the
    timeout) is left for the next run. A slow receiver so delays only its own feedback.
    """
    budget = 2 * timeout_seconds if run_seconds is None else run_seconds

    async def send(due: Sequence[Due]) -> list[str | Skipped | None]:
        async with pool.acquire() as conn:
            hooks = await store.webhooks(conn, sorted({m.partner_id for m in due if m.partner_id}))
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + budget
        outcomes: list[str | Skipped | None] = [NOT_TRIED] * len(due)
        queues: dict[UUID, list[int]] = {}
        for place, message in enumerate(due):
            if message.partner_id is None or message.partner_id not in hooks:
                outcomes[place] = "no webhook"
            else:
                queues.setdefault(message.partner_id, []).append(place)
        slots = asyncio.Semaphore(client.in_flight)

        async def serve(partner_id: UUID, places: list[int]) -> None:
            url, sealed = hooks[partner_id]
            secret = open_webhook_secret(sealed, partner_id)
            for step, place in enumerate(places):
                if loop.time() >= stop_at:
                    return
                message = due[place]
                body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
                stamp = str(int(now.timestamp()))
                headers = {
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: sign(secret, stamp, body),
                    DELIVERY_HEADER: message.delivery_id,
                }
                async with slots:
                    error = await client.post(url, body, headers, timeout_seconds)
                outcomes[place] = error
                if error is not None:
                    log.info("feedback %s not delivered (%s)", message.id, error)
                    for later in places[step + 1 :]:
                        outcomes[later] = error
                    return

        await asyncio.gather(*(serve(partner, places) for partner, places in queues.items()))
        return outcomes

    return await deliver(
        pool,
        Channel.WEBHOOK,
        send,
        now,
        limit=limit,
        lease_seconds=int(budget + timeout_seconds) + 5,
        per_receiver=PER_PARTNER,
    )
