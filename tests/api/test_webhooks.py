"""Webhooks reach partners only: internal targets refused at registration and at delivery (before
any connection), no redirects, sealed secrets, random delivery ids, and a slow receiver delaying
only its own partner. Every receiver and listener is on loopback; "internal" targets point at a
listener that counts connections, so a refusal is proven by a count of zero."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from hub.directory.models import Partner
from hub.feedback.delivery import deliver_feedback, set_webhook
from hub.platform.outbound import OutboundClient, OutboundRules, RefusedTarget
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, signal_from
from tests.support.servers import (
    LOOPBACK_RULES,
    give_webhook,
    listener,
    loopback_client,
    serving,
    webhook_receiver,
)

STRICT = OutboundRules()
HTTP_ONLY = OutboundRules(allow_http=True)  # plain http allowed, internal addresses not


async def signals(pool: asyncpg.Pool, partner: Partner, count: int, first_number: int = 1) -> None:
    for number in range(first_number, first_number + count):
        await signal_from(pool, partner, address={"postcode": "2031AA", "house_number": number})


async def outbox_rows(pool: asyncpg.Pool, partner: Partner) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "select attempts, last_error, delivered_at, next_attempt_at from outbox "
            "where partner_id = $1 order by id",
            partner.id,
        )


async def test_registration_refuses_internal_targets_without_connecting(
    haarlem: asyncpg.Pool,
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with listener() as internal:
        port = internal.port
        targets = [
            f"http://127.0.0.1:{port}/hook",  # plain http
            f"https://127.0.0.1:{port}/hook",
            f"https://localhost:{port}/hook",  # a name, resolved to loopback
            f"https://[::1]:{port}/hook",
            f"https://[::ffff:127.0.0.1]:{port}/hook",
            f"https://0.0.0.0:{port}/hook",
            "file:///etc/passwd",
            f"https://user:secret@127.0.0.1:{port}/",
        ]
        for target in targets:
            with pytest.raises(RefusedTarget):
                await set_webhook(haarlem, gp.name, target, STRICT)
        assert internal.connections == 0
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from partner_webhooks") == 0


async def test_delivery_checks_the_address_it_connects_to(haarlem: asyncpg.Pool) -> None:
    """Targets stored as if a name had resolved to a public address at registration and to an
    internal one now (DNS rebinding), or written into the table directly."""
    async with listener() as internal:
        port = internal.port
        partners = []
        for url in (
            f"http://localhost:{port}/hook",
            f"http://127.0.0.1:{port}/hook",
            f"http://[::ffff:127.0.0.1]:{port}/hook",
        ):
            partner, _ = await make_partner(haarlem, PartnerKind.GP)
            async with haarlem.acquire() as conn:
                await give_webhook(conn, partner.id, url, "s")
            await signals(haarlem, partner, 1, first_number=len(partners) + 1)
            partners.append(partner)
        async with OutboundClient(HTTP_ONLY) as client:
            assert await deliver_feedback(haarlem, client, datetime.now(UTC)) == 0
        assert internal.connections == 0
        errors = [(await outbox_rows(haarlem, p))[0]["last_error"] for p in partners]
        assert all(errors), errors
        assert not any("127.0.0.1" in error or "::1" in error for error in errors), errors
        assert [error.startswith("refused:") for error in errors] == [False, True, True]

        # The same targets with development rules do connect: the listener can tell.
        async with loopback_client() as client:
            later = datetime.now(UTC) + timedelta(hours=7)
            await deliver_feedback(haarlem, client, later, timeout_seconds=2)
        assert internal.connections == 3


async def test_redirects_are_not_followed(haarlem: asyncpg.Pool) -> None:
    followed: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        followed.append(request.headers.get("X-Hub-Signature-256", ""))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", moved)
    app.router.add_post("/elsewhere", elsewhere)
    async with serving(app) as base:
        gp, _ = await make_partner(haarlem, PartnerKind.GP)
        async with haarlem.acquire() as conn:
            await give_webhook(conn, gp.id, f"{base}/hook", "s")
        await signals(haarlem, gp, 1)
        async with loopback_client() as client:
            assert await deliver_feedback(haarlem, client, datetime.now(UTC)) == 0
    assert followed == []
    assert (await outbox_rows(haarlem, gp))[0]["last_error"] == "HTTP 307"


async def test_secret_is_sealed_and_delivery_ids_are_random(haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with webhook_receiver("not yet known") as (hook, url):
        hook.secret = await set_webhook(haarlem, gp.name, url, LOOPBACK_RULES)
        await signals(haarlem, gp, 3)
        async with loopback_client() as client:
            assert await deliver_feedback(haarlem, client, datetime.now(UTC)) == 3
    assert len(hook.accepted) == 3  # each signature checked with the secret shown once
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow("select secret, secret_sealed from partner_webhooks")
    assert row is not None
    assert row["secret"] is None
    assert hook.secret.encode() not in bytes(row["secret_sealed"])
    ids = [uuid.UUID(delivery) for delivery in hook.delivery_ids]
    assert len(set(ids)) == 3
    assert all(delivery.version == 4 for delivery in ids)


async def test_a_slow_receiver_delays_only_its_own_partner(haarlem: asyncpg.Pool) -> None:
    """The slow partner's messages come first; its receiver answers only once the other
    partner's have all arrived. Sent one partner after the other, the slow one would time out."""
    others_done = asyncio.Event()
    fast_seen: list[str] = []
    slow_seen: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        slow_seen.append(request.headers["X-Hub-Delivery"])
        await asyncio.wait_for(others_done.wait(), timeout=10)
        return web.Response(status=204)

    async def fast(request: web.Request) -> web.Response:
        fast_seen.append(request.headers["X-Hub-Delivery"])
        if len(fast_seen) == 3:
            others_done.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/slow", slow)
    app.router.add_post("/fast", fast)
    async with serving(app) as base:
        slow_partner, _ = await make_partner(haarlem, PartnerKind.HOUSING)
        fast_partner, _ = await make_partner(haarlem, PartnerKind.GP)
        async with haarlem.acquire() as conn:
            await give_webhook(conn, slow_partner.id, f"{base}/slow", "s")
            await give_webhook(conn, fast_partner.id, f"{base}/fast", "s")
        await signals(haarlem, slow_partner, 2)
        await signals(haarlem, fast_partner, 3, first_number=10)
        async with loopback_client() as client:
            delivered = await deliver_feedback(
                haarlem, client, datetime.now(UTC), timeout_seconds=8
            )
    assert delivered == 5
    assert (len(slow_seen), len(fast_seen)) == (2, 3)


async def test_requests_in_flight_are_bounded(haarlem: asyncpg.Pool) -> None:
    busy = 0
    most = 0

    async def hold(request: web.Request) -> web.Response:
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        await asyncio.sleep(0.2)
        busy -= 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{partner}", hold)
    async with serving(app) as base:
        for number in range(6):
            partner, _ = await make_partner(haarlem, PartnerKind.GP)
            async with haarlem.acquire() as conn:
                await give_webhook(conn, partner.id, f"{base}/{number}", "s")
            await signals(haarlem, partner, 2, first_number=10 * number + 1)
        async with OutboundClient(LOOPBACK_RULES, in_flight=2) as client:
            assert await deliver_feedback(haarlem, client, datetime.now(UTC)) == 12
    assert most == 2


async def test_a_failing_receiver_fails_its_run_once_and_leaves_room(
    haarlem: asyncpg.Pool,
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with webhook_receiver("s", ["fail"]) as (hook, url):
        async with haarlem.acquire() as conn:
            await give_webhook(conn, gp.id, url, "s")
        await signals(haarlem, gp, 12)
        async with loopback_client() as client:
            assert await deliver_feedback(haarlem, client, datetime.now(UTC)) == 0
        assert hook.seen == 1  # the rest of the run's messages were not sent after the failure
    rows = await outbox_rows(haarlem, gp)
    tried = [(row["attempts"], row["last_error"]) for row in rows]
    assert tried == [(1, "HTTP 500")] * 10 + [(0, None)] * 2  # at most 10 a partner per run


async def test_what_a_run_does_not_reach_is_due_again_uncounted(haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with webhook_receiver("s") as (hook, url):
        async with haarlem.acquire() as conn:
            await give_webhook(conn, gp.id, url, "s")
        await signals(haarlem, gp, 2)
        now = datetime.now(UTC)
        async with loopback_client() as client:
            assert await deliver_feedback(haarlem, client, now, run_seconds=0) == 0
            assert hook.seen == 0
            rows: list[Any] = await outbox_rows(haarlem, gp)
            assert [(r["attempts"], r["next_attempt_at"] <= now) for r in rows] == [(0, True)] * 2
            assert await deliver_feedback(haarlem, client, now) == 2
