"""/metrics in Prometheus format: intake by channel and partner kind, routing outcomes, request
timings by route pattern, backlogs and overdue obligations from the database, job runs."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from hub.app import create_app
from hub.jobs import jobs
from hub.platform.config import Settings
from hub.platform.scheduler import run_once_across_instances
from hub.platform.workloop import WorkLoop
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_signal
from tests.support.http import bearer

Client = TestClient[Any, Any]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: Client, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_intake_routing_and_requests_are_counted(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    before = await scrape(client)
    routed = make_signal(address={"postcode": "2034AB", "house_number": 3})
    unrouted = make_signal(address={"postcode": "2116AB", "house_number": 3})  # Bentveld
    for body in (routed, unrouted, routed):  # the third is a replay: not counted again
        response = await client.post("/api/v1/signals", json=body, headers=bearer(token))
        assert response.status == 202
    assert (
        await client.get(
            f"/api/v1/signals/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=bearer(token)
        )
    ).status == 404
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    kind = {"channel": "api", "partner_kind": "gp"}
    assert delta("hub_signals_received_total", **kind, routing="routed") == 1
    assert delta("hub_signals_received_total", **kind, routing="unrouted") == 1
    assert delta("hub_intake_seconds_count", **kind) == 3
    route = {"route": "/api/v1/signals", "method": "POST", "status": "202"}
    assert delta("hub_http_request_seconds_count", **route) == 3
    by_id = {"route": "/api/v1/signals/{id}", "method": "GET", "status": "404"}
    assert delta("hub_http_request_seconds_count", **by_id) == 1
    labels = {v for _, pairs in after for _, v in pairs}
    assert not [v for v in labels if re.search(r"[1-9][0-9]{3} ?[A-Z]{2}", v)]  # no postcode


async def test_backlogs_overdue_and_jobs_come_from_the_database(
    client: Client, haarlem: asyncpg.Pool, settings: Settings
) -> None:
    async with haarlem.acquire() as conn:
        await conn.execute(
            "insert into outbox (channel, topic, recipient, payload, attempts, dead_at) values "
            "('mail', 't', 'a@example.invalid', '{}', 0, null), "
            "('mail', 't', 'b@example.invalid', '{}', 2, null), "
            "('mail', 't', 'c@example.invalid', '{}', 8, now())"
        )
    samples = await scrape(client)
    assert value(samples, "hub_outbox_backlog", outbox="mail") == 2
    assert value(samples, "hub_outbox_failing", outbox="mail") == 1
    assert value(samples, "hub_outbox_dead", outbox="mail") == 1
    assert value(samples, "hub_obligations_overdue") == 0

    before = value(samples, "hub_job_runs_total", job="feedback.sweep", result="done")

    async def nothing() -> None:
        return None

    table = jobs(settings, haarlem, None, WorkLoop("postgresql://unused"))  # type: ignore[arg-type]
    sweep = next(job for job in table if job.name == "feedback.sweep")
    await run_once_across_instances(haarlem, replace(sweep, run=nothing))
    after = await scrape(client)
    assert value(after, "hub_job_runs_total", job="feedback.sweep", result="done") == before + 1


async def test_a_metrics_token_guards_the_figures(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> None:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    async with TestClient(TestServer(create_app(guarded, dsn))) as client:
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/metrics", headers=bearer("wrong"))).status == 401
        await scrape(client, Authorization="Bearer scrape-me")
