"""What Prometheus scrapes at /metrics: counts and timings, never anyone's data.

Labels are channels, partner kinds, routing outcomes, job names and route patterns (with `{id}`,
never an id), so no label value can name or point at a resident. Backlogs and overdue obligations
are counted in the database at scrape time, so every instance reports the same truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from hub.errors import HubError

if TYPE_CHECKING:
    import asyncpg

    from hub.intake import Submitted

REGISTRY = CollectorRegistry()
SIGNALS = Counter(
    "hub_signals_received",
    "Signals stored (new ones; a replay of a known reference is not counted)",
    ["channel", "partner_kind", "routing"],
    registry=REGISTRY,
)
INTAKE_SECONDS = Histogram(
    "hub_intake_seconds",
    "From a signal's request to its committed receipt",
    ["channel", "partner_kind"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "hub_http_request_seconds",
    "HTTP requests by route pattern, method and status",
    ["route", "method", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "hub_job_runs",
    "Scheduled job runs in this process (skipped: another instance held the job's lock)",
    ["job", "result"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "hub_job_seconds", "Duration of scheduled job runs", ["job"], registry=REGISTRY
)
OUTBOX_BACKLOG = Gauge(
    "hub_outbox_backlog", "Messages waiting to be delivered", ["outbox"], registry=REGISTRY
)
OUTBOX_FAILED = Gauge(
    "hub_outbox_failed",
    "Messages given up on (feedback: dead letters) or retrying after a failure (mail)",
    ["outbox"],
    registry=REGISTRY,
)
OBLIGATIONS_OVERDUE = Gauge(
    "hub_obligations_overdue",
    "Feedback promised to partners and past its due day",
    registry=REGISTRY,
)


def record_intake(
    channel: str,
    partner_kind: str,
    results: Sequence[Submitted | HubError],
    seconds: float | None = None,
) -> None:
    """Count committed signals (call after the commit) and, for one request, its duration."""
    for result in results:
        if not isinstance(result, HubError) and result.created:
            receipt = result.receipt
            routing = "repeat" if receipt.repeat_of else receipt.status.value
            SIGNALS.labels(channel, partner_kind, routing).inc()
    if seconds is not None:
        INTAKE_SECONDS.labels(channel, partner_kind).observe(seconds)


async def exposition(pool: asyncpg.Pool) -> bytes:
    """The text Prometheus scrapes, with the database's backlogs counted now."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """
            select
              (select count(*) from mail_outbox where sent_at is null) as mail_waiting,
              (select count(*) from mail_outbox where sent_at is null and attempts > 0)
                as mail_failing,
              (select count(*) from feedback_outbox
               where delivered_at is null and dead_at is null) as feedback_waiting,
              (select count(*) from feedback_outbox where dead_at is not null) as feedback_dead,
              (select count(*) from obligations
               where met_at is null and due_on < current_date) as overdue
            """
        )
    if row is not None:
        OUTBOX_BACKLOG.labels("mail").set(row["mail_waiting"])
        OUTBOX_BACKLOG.labels("feedback").set(row["feedback_waiting"])
        OUTBOX_FAILED.labels("mail").set(row["mail_failing"])
        OUTBOX_FAILED.labels("feedback").set(row["feedback_dead"])
        OBLIGATIONS_OVERDUE.set(row["overdue"])
    return generate_latest(REGISTRY)
