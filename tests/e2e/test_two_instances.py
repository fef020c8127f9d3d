"""Two hub processes on one PostgreSQL: both serve the API; each scheduled job runs once per
tick across both; every feedback message reaches the partner's receiver, once per message id."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from hub.feedback import store as feedback_store
from hub.feedback.delivery import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_signal
from tests.support.processes import UNLIMITED, serve
from tests.support.servers import give_webhook, serving

SIGNALS = 40
SWEEP_SECONDS = 0.5
SECRET = "two-instances-secret"


async def job_runs(http: aiohttp.ClientSession, base: str, job: str) -> float:
    async with http.get(f"{base}/metrics") as response:
        text = await response.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hub_job_runs_total" and sample.labels == {
                "job": job,
                "result": "done",
            }:
                return sample.value
    return 0.0


@pytest.mark.timeout(180)
async def test_two_instances_share_the_work_without_doing_it_twice(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    deliveries: Counter[str] = Counter()
    all_arrived = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers[TIMESTAMP_HEADER]
        if request.headers[SIGNATURE_HEADER] != sign(SECRET, stamp, body):
            return web.Response(status=401)
        deliveries[request.headers[DELIVERY_HEADER]] += 1
        if len(deliveries) >= SIGNALS:
            all_arrived.set()
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    async with serving(receiver) as receiver_base:
        gp, token = await make_partner(haarlem, PartnerKind.GP)
        async with haarlem.acquire() as conn:
            await feedback_store.add_agreement(conn, step="received", working_days=0)
            await give_webhook(conn, gp.id, f"{receiver_base}/hook", SECRET)

        bases = []
        for name in ("a", "b"):
            _, base = await serve(
                processes,
                tmp_path / f"hub-{name}.log",
                DATABASE_URL=dsn,
                HUB_FEEDBACK_POLL_SECONDS="0.3",
                HUB_WEBHOOK_ALLOW_HTTP="true",  # the receiver is on loopback, without TLS
                HUB_WEBHOOK_ALLOW_PRIVATE="true",
                HUB_SWEEP_SECONDS=str(SWEEP_SECONDS),
                **UNLIMITED,
            )
            bases.append(base)

        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as http:
            sweeps_before = [await job_runs(http, base, "feedback.sweep") for base in bases]
            started = time.monotonic()
            for number in range(SIGNALS):
                base = bases[number % 2]
                body = make_signal(address={"postcode": "2034AB", "house_number": number + 1})
                async with http.post(
                    f"{base}/api/v1/signals", json=body, headers=headers
                ) as answer:
                    assert answer.status == 202, await answer.text()
            await asyncio.wait_for(all_arrived.wait(), timeout=30)
            await asyncio.sleep(max(0.0, 5 - (time.monotonic() - started)))
            elapsed = time.monotonic() - started
            sweeps = [await job_runs(http, base, "feedback.sweep") for base in bases]

    async with haarlem.acquire() as conn:
        messages = {
            row["delivery_id"]
            for row in await conn.fetch("select delivery_id from outbox where channel = 'webhook'")
        }
        undelivered = await conn.fetchval(
            "select count(*) from outbox where channel = 'webhook' and delivered_at is null"
        )
    assert len(messages) == SIGNALS  # one "received" message a signal
    assert set(deliveries) == messages  # every message arrived
    assert max(deliveries.values()) == 1, deliveries.most_common(3)  # and none twice
    assert undelivered == 0

    # Both instances run the sweep, taking turns: together once per tick, not twice.
    runs = [after - before for after, before in zip(sweeps, sweeps_before, strict=True)]
    ticks = elapsed / SWEEP_SECONDS
    assert sum(runs) <= ticks + 2, (runs, ticks)
    assert sum(runs) >= ticks / 2, (runs, ticks)
